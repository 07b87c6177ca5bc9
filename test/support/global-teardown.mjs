export default async function globalTeardown() {
  await globalThis.__heraldTestDatabase?.db?.stop();
}
