/**
 * `npm run push:keys [-- mailto:you@example.com]`: prints a new VAPID key pair as environment
 * lines for the relay. Keep the private key with the relay's other secrets; changing it makes
 * every browser subscribe again.
 */
import { newVapidEnv } from './sender.js';

process.stdout.write(newVapidEnv(process.argv[2]));
