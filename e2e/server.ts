import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is e2e/server.ts). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface RunningServer {
  /** e.g. http://127.0.0.1:43117 */
  url: string;
  dataDir: string;
  /** The server's stdout and stderr so far (the last ~200 kB), for failure messages. */
  logs: () => string;
  stop: () => Promise<void>;
}

export interface StartOptions {
  /** How long to wait for `GET /health/ready` to answer 200. PGlite's first boot is slow. */
  readyTimeoutMs?: number;
  env?: Record<string, string>;
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/**
 * Starts the real server (`node apps/cli/tartip.mjs start`) on a free port with a fresh data directory and the
 * demo accounts, and resolves once `/health/ready` answers 200. It serves the web build from apps/web/dist.
 */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const cli = join(REPO_ROOT, 'apps/cli/tartip.mjs');
  if (!existsSync(cli)) throw new Error(`the server CLI is missing: ${cli}`);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'tartip-e2e-data-'));
  const url = `http://127.0.0.1:${port}`;

  const env: NodeJS.ProcessEnv = { ...process.env };
  // A developer's or CI's own settings must not leak in: this is always a fresh embedded server.
  for (const k of Object.keys(env)) if (k.startsWith('TARTIP_')) delete env[k];
  Object.assign(env, {
    PORT: String(port),
    HOST: '127.0.0.1',
    TARTIP_MODE: 'embedded',
    TARTIP_DATA_DIR: dataDir,
    TARTIP_DEMO: 'true',
    TARTIP_LOG_LEVEL: 'warn',
    ...options.env,
  });

  // Its own process group, so that stop() also reaches anything the CLI may start.
  const child = spawn(process.execPath, [cli, 'start'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > 200_000) output = output.slice(-200_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const stop = async () => {
    await terminate(child, exited);
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await waitReady(url, child, options.readyTimeoutMs ?? 120_000);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n--- server output ---\n${output.slice(-8000)}`);
  }
  return { url, dataDir, logs: () => output, stop };
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the server exited (code ${child.exitCode}, signal ${child.signalCode}) before it was ready`);
    try {
      const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the server was not ready within ${timeoutMs} ms (${last})`);
}

async function terminate(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const pid = child.pid;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig); // the group we created
    } catch {
      try {
        child.kill(sig);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM');
  const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
  if (!done) {
    signal('SIGKILL');
    await exited;
  }
}
