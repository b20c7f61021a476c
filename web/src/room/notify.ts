/**
 * Mention alerts: a short tone and, if the user granted it from a button (never on our own
 * initiative), a system notification. Only live messages reach here, never replayed history.
 */
let audio: AudioContext | null = null;

export function notifyMention(me: string, sender: string, text: string): void {
  try {
    audio ??= new AudioContext();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.05;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.25);
  } catch {
    // No audio in this context; the title flash and counter still work.
  }
  if (typeof Notification !== 'undefined' && Notification.permission === 'granted') {
    try {
      new Notification(`${me} mentioned by ${sender}`, { body: text, silent: true });
    } catch {
      // Some platforms only allow notifications from a service worker.
    }
  }
}

export async function askNotificationPermission(): Promise<NotificationPermission | 'unsupported'> {
  if (typeof Notification === 'undefined') return 'unsupported';
  if (Notification.permission !== 'default') return Notification.permission;
  return Notification.requestPermission();
}
