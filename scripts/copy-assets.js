// Copies the files tsc does not: SQL migrations and the ARI description the simulator serves.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
for (const dir of ['store/migrations', 'store/postgres/migrations']) {
  const from = path.join(root, 'src', dir);
  if (!fs.existsSync(from)) continue;
  const to = path.join(root, 'dist', dir);
  // A mirror: a migration renamed or removed in src must not linger in dist and run again.
  fs.rmSync(to, { recursive: true, force: true });
  fs.mkdirSync(to, { recursive: true });
  for (const name of fs.readdirSync(from)) fs.copyFileSync(path.join(from, name), path.join(to, name));
}
