import { createApiKey, createUser, type NewApiKey, type NewUser } from './auth/identity.ts';
import type { Role } from './auth/roles.ts';
import type { Kernel } from './kernel.ts';

/**
 * Demo data: one account per role (password `demo`) and one partner key per channel. Embedded/demo mode
 * only — production refuses to start with TARTIP_DEMO. The keys are fixed so the README can list them.
 */
export const DEMO_PASSWORD = 'demo';

export const DEMO_USERS: { username: Role; displayName: string; jurisdictions: string[] }[] = [
  { username: 'admin', displayName: 'Әкімші (демо)', jurisdictions: ['*'] },
  { username: 'operator', displayName: 'Оператор ЦОУ Алматы (демо)', jurisdictions: ['750000000'] },
  { username: 'dispatcher', displayName: 'Диспетчер Алматы (демо)', jurisdictions: ['750000000'] },
  { username: 'officer', displayName: 'Патрульный, Алмалинский район (демо)', jurisdictions: ['751110000'] },
  { username: 'traffic', displayName: 'Инспектор дорожной полиции, Астана (демо)', jurisdictions: ['710000000'] },
  { username: 'fraud', displayName: 'Аналитик по мошенничеству (демо)', jurisdictions: ['*'] },
  { username: 'protection', displayName: 'Инспектор по защите от бытового насилия, Шымкент (демо)', jurisdictions: ['790000000'] },
  { username: 'investigator', displayName: 'Следователь, Алматы (демо)', jurisdictions: ['750000000'] },
  { username: 'bailiff', displayName: 'Судебный исполнитель, Астана (демо)', jurisdictions: ['710000000'] },
  { username: 'analyst', displayName: 'Аналитик (демо)', jurisdictions: ['*'] },
  { username: 'supervisor', displayName: 'Руководитель (демо)', jurisdictions: ['*'] },
];

export const DEMO_API_KEYS: (NewApiKey & { key: string })[] = [
  { name: 'app-102', channel: 'app102', scopes: ['reports:submit', 'partner:read'], jurisdictions: ['*'], key: 'tk_app102_demo_Xq7pL2vN9rT4wK8mA3sD6fG1' },
  { name: 'egov-mobile', channel: 'egov', scopes: ['reports:submit', 'partner:read'], jurisdictions: ['*'], key: 'tk_egov_demo_Hn5bV8cZ2xQ9wE4rT7yU1iO3' },
  { name: 'demo-bank', channel: 'bank', scopes: ['reports:submit', 'fraud:screen', 'fraud:indicators', 'partner:read'], jurisdictions: ['*'], key: 'tk_bank_demo_Pm3kJ6hG9fD2sA5zX8cV1bN4' },
  { name: 'demo-telecom', channel: 'telecom', scopes: ['fraud:screen', 'fraud:indicators', 'partner:read'], jurisdictions: ['*'], key: 'tk_telecom_demo_Lw4qE7rT1yU5iO8pA2sD6fG9' },
  { name: 'demo-cameras', channel: 'camera', scopes: ['video:ingest', 'partner:read'], jurisdictions: ['750000000'], key: 'tk_camera_demo_Zr8tY2uI5oP9aS3dF6gH1jK4' },
  // ANPR gateway of the traffic module's demo cameras (Astana): plate reads, camera violations, clock-sync reports.
  { name: 'demo-anpr-gateway', channel: 'camera', scopes: ['traffic:ingest', 'partner:read'], jurisdictions: ['710000000'], key: 'tk_camera_anpr_demo_Qw3eR6tY9uI2oP5aS8dF1g' },
];

/** Advisory lock that serialises seeding when several processes start at once on one database. */
const SEED_LOCK = 7_461_002;

/** Seeds what is missing; returns what it created. Safe to run on every start, from several processes at once. */
export async function seedDemo(kernel: Kernel): Promise<{ users: number; keys: number }> {
  if (kernel.config.mode === 'production') throw new Error('demo accounts are refused in production mode');
  let users = 0;
  let keys = 0;
  const ctx = { actor: 'system:seed' };
  for (const u of DEMO_USERS) {
    const exists = await kernel.db.query('select 1 from kernel_user where username = $1', [u.username]);
    if (exists.length > 0) continue;
    // The route's password policy (≥ 8 characters) is for real accounts; demo accounts use `demo`.
    const input: NewUser = { username: u.username, displayName: u.displayName, password: DEMO_PASSWORD, roles: [u.username], jurisdictions: u.jurisdictions };
    const created = await kernel.commands.run(ctx, async (uow) => {
      // Processes starting side by side on one database take turns here, then see each other's rows.
      await uow.tx.query('select pg_advisory_xact_lock($1)', [SEED_LOCK]);
      const again = await uow.tx.query('select 1 from kernel_user where username = $1', [u.username]);
      if (again.length > 0) return false;
      await createUser(uow, null, input);
      return true;
    });
    if (created) users++;
  }
  for (const k of DEMO_API_KEYS) {
    const exists = await kernel.db.query('select 1 from kernel_api_key where name = $1', [k.name]);
    if (exists.length > 0) continue;
    const { key, ...input } = k;
    const created = await kernel.commands.run(ctx, async (uow) => {
      await uow.tx.query('select pg_advisory_xact_lock($1)', [SEED_LOCK]);
      const again = await uow.tx.query('select 1 from kernel_api_key where name = $1', [k.name]);
      if (again.length > 0) return false;
      await createApiKey(uow, input, key);
      return true;
    });
    if (created) keys++;
  }
  return { users, keys };
}
