/**
 * Mounted once in App: asks for the passphrase of a protected identity at load, checks a plain
 * one with the relay, and loads the (lazy) sign-in dialog only when it is first needed.
 */
import { lazy, Suspense, useEffect, useState } from 'react';
import { identityStore, openIdentityDialog, useIdentity, verifyOwnership } from '../session.js';

const IdentityDialog = lazy(() => import('./IdentityDialog.js'));

export function IdentityBoot() {
  const wanted = useIdentity((s) => s.dialog !== null);
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    if (identityStore.getState().vault) openIdentityDialog('unlock');
    else void verifyOwnership();
  }, []);
  useEffect(() => {
    if (wanted) setLoaded(true);
  }, [wanted]);
  if (!loaded) return null;
  return (
    <Suspense fallback={null}>
      <IdentityDialog />
    </Suspense>
  );
}
