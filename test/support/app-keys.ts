import { generateKeyPairSync } from 'node:crypto';

/** A key pair for a test GitHub App: the app signs its JWTs with the private key, the fake GitHub checks them with the public one. */
export function appKeyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
}
