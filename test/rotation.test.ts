/** Encryption-key rotation: new key first, old still decrypts, 1.13 refuses a half-rotated bundle. */
import { parseAllDocuments } from 'yaml';
import { renderStack } from '../core/render/index';
import { beginRotation, finishRotation } from '../core/secrets/rotate';
import { example, testSecrets } from './helpers';

const keysOf = (config: string) =>
  parseAllDocuments(config).map((d) => d.toJS()).find((d) => d.kind === 'KubeEtcdEncryptionConfig').config.resources[0].providers[0].secretbox.keys;

it('begin puts a new key first and keeps the old one; finish retires it', async () => {
  const s = await testSecrets();
  const fixed = (n: number) => Buffer.alloc(n, 7);
  const mid = beginRotation(s, fixed);
  expect(keysOf(renderStack(example('saas'), mid).nodes[0].config)).toEqual([
    { name: 'key3', secret: fixed(32).toString('base64') },
    { name: 'key2', secret: s.secrets.secretboxencryptionsecret },
  ]);
  expect(() => beginRotation(mid)).toThrow(/already under way/);
  const done = finishRotation(mid);
  expect(keysOf(renderStack(example('saas'), done).nodes[0].config)).toEqual([{ name: 'key3', secret: fixed(32).toString('base64') }]);
  expect(() => finishRotation(done)).toThrow(/no rotation/);
  expect(beginRotation(done, fixed).encryption!.keys.map((k) => k.name)).toEqual(['key4', 'key3']);
});

it('contract 1.13 refuses a bundle mid-rotation instead of silently dropping the new key', async () => {
  const mid = beginRotation(await testSecrets());
  expect(() => renderStack(example('prod'), mid)).toThrow(/contract 1.13 cannot express/);
});
