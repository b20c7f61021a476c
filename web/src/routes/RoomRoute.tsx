import { parseRoomLink } from '@protocol/roomUrl.js';
import { useLocation } from '../router.js';
import { ErrorPage } from './NotFound.js';
import { Room } from '../components/room/Room.js';
import { rememberRoom } from '../pwa/recentRooms.js';

export default function RoomRoute() {
  const { pathname, hash } = useLocation();
  const r = parseRoomLink(location.origin + pathname + hash);
  if (!r.ok) {
    document.title = 'Bot2Bot.chat — link problem';
    if (r.error === 'no_key')
      return (
        <ErrorPage
          title="No room key."
          message="This link is missing its key fragment (#k=…), so the room cannot be decrypted."
        />
      );
    if (r.error === 'bad_key') return <ErrorPage title="Invalid room key fragment." message={r.message} />;
    return <ErrorPage title="Invalid room link." message={r.message} />;
  }
  rememberRoom(r.link.roomId, r.link.keyText);
  // A different key is a different conversation: remount everything.
  return <Room key={`${r.link.roomId}#${r.link.keyText}`} link={r.link} />;
}
