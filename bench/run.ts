/**
 * The benchmark suite: `npm run bench` (all) or `npm run bench -- startup sse` (some), also reachable as
 * `tartip bench`. Each benchmark writes bench/results/<name>.json; BENCHMARKS.md is then regenerated from
 * every result file present. See bench/README.md.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api } from './api.ts';
import { consoleDelivery } from './console.ts';
import { forecast } from './forecast.ts';
import { fraud } from './fraud.ts';
import { type BenchResult, commit, cpuIndex, log, type Machine, machine, type Metric, passes, readResult, REPO_ROOT, round, writeResult } from './lib.ts';
import { outbox } from './outbox.ts';
import { recommend } from './recommend.ts';
import { reports } from './reports.ts';
import { sectionControl } from './section-control.ts';
import { sse } from './sse.ts';
import { startup } from './startup.ts';
import { telemetry } from './telemetry.ts';
import { video } from './video.ts';

interface Benchmark {
  name: string;
  title: string;
  needs: string;
  run: () => Promise<Pick<BenchResult, 'metrics' | 'details'>>;
}

export const BENCHMARKS: Benchmark[] = [
  { name: 'startup', title: 'Embedded start-up and idle memory', needs: 'nothing', run: startup },
  { name: 'api', title: 'Authenticated API route under load', needs: 'PostgreSQL + NATS', run: api },
  { name: 'outbox', title: 'Outbox relay to NATS JetStream', needs: 'PostgreSQL + NATS', run: outbox },
  { name: 'sse', title: 'SSE fan-out latency', needs: 'NATS', run: sse },
  { name: 'reports', title: 'Citizen report intake', needs: 'PostgreSQL + NATS', run: reports },
  { name: 'telemetry', title: 'Unit telemetry intake (NDJSON)', needs: 'PostgreSQL + NATS', run: telemetry },
  { name: 'recommend', title: 'Unit recommendation among 1,000 units', needs: 'PostgreSQL + NATS', run: recommend },
  { name: 'console', title: 'Event-to-console delivery under load', needs: 'PostgreSQL + NATS', run: consoleDelivery },
  { name: 'section-control', title: 'Section (average-speed) control: engine, memory, HTTP NDJSON, vs a PostgreSQL self-join', needs: 'PostgreSQL + NATS', run: sectionControl },
  { name: 'forecast', title: 'Hotspot forecasts (PAI/PEI on Chicago 2016), SEPP fit, patrol plans', needs: 'nothing', run: forecast },
  { name: 'fraud', title: 'Anti-fraud screening: indicator memory and lookup, calls and transactions in process and over HTTP', needs: 'PostgreSQL + NATS', run: fraud },
  { name: 'video', title: 'Video analytics: watchlist matching 100,000 × 512-d, event ingest and alert delivery over HTTP', needs: 'PostgreSQL + NATS', run: video },
];

const USAGE = `Usage: npm run bench [-- [--strict] [name ...]]   (or: tartip bench [--strict] [name ...])

Benchmarks: ${BENCHMARKS.map((b) => b.name).join(', ')} (default: all, in that order).
  --strict   exit 1 when a result misses its target (by default only a benchmark that fails to run exits 1)
  --list     list the benchmarks

PostgreSQL and NATS come from TARTIP_BENCH_DATABASE_URL and TARTIP_BENCH_NATS_URL
(default postgres://postgres@127.0.0.1:5432/postgres and nats://127.0.0.1:4222).
Results: bench/results/<name>.json and BENCHMARKS.md.`;

export async function runBenchmarks(args: string[]): Promise<number> {
  const strict = args.includes('--strict');
  if (args.includes('--help') || args.includes('-h')) {
    log(USAGE);
    return 0;
  }
  if (args.includes('--list')) {
    for (const b of BENCHMARKS) log(`${b.name.padEnd(10)} ${b.title} (needs ${b.needs})`);
    return 0;
  }
  const names = args.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark: ${unknown.join(', ')}\n\n${USAGE}\n`);
    return 2;
  }
  const selected = names.length > 0 ? BENCHMARKS.filter((b) => names.includes(b.name)) : BENCHMARKS;

  const rev = commit();
  const host: Machine = { ...machine(), cpuIndex: cpuIndex() };
  log(`Tártip benchmarks at ${rev} on ${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB, Node ${host.node}, CPU index ${indexText(host)}`);
  let errors = 0;
  let missed = 0;
  for (const b of selected) {
    log(`\n▶ ${b.name}: ${b.title}`);
    const started = performance.now();
    const result: BenchResult = { name: b.name, title: b.title, commit: rev, date: new Date().toISOString(), machine: host, durationMs: 0, metrics: [], details: {} };
    try {
      Object.assign(result, await b.run());
    } catch (e) {
      errors++;
      result.error = (e as Error).message;
      process.stderr.write(`✗ ${b.name} failed: ${result.error}\n`);
    }
    result.durationMs = Math.round(performance.now() - started);
    for (const m of result.metrics) {
      const ok = passes(m);
      if (ok === false) missed++;
      log(`  ${ok === undefined ? '·' : ok ? '✓' : '✗'} ${m.label}: ${formatValue(m)}${m.target ? ` (target ${formatTarget(m)})` : ''}`);
    }
    const file = writeResult(result);
    log(`  → ${file.slice(REPO_ROOT.length + 1)} (${round(result.durationMs / 1000, 1)} s)`);
  }
  writeFileSync(join(REPO_ROOT, 'BENCHMARKS.md'), renderMarkdown(rev, host));
  log(`\nBENCHMARKS.md updated. ${errors} failed to run, ${missed} result(s) missed their target.`);
  return errors > 0 || (strict && missed > 0) ? 1 : 0;
}

function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en') : String(v);
}

const indexText = (m: Machine) => (m.cpuIndex === undefined ? 'not recorded' : formatNumber(m.cpuIndex));
const formatValue = (m: Metric) => `${formatNumber(m.value)} ${m.unit}`;
const formatTarget = (m: Metric) => (m.target ? `${m.target.op === '<=' ? '≤' : '≥'} ${formatNumber(m.target.value)} ${m.unit}` : '—');

/** BENCHMARKS.md from every result file present (the latest run of each benchmark). */
function renderMarkdown(rev: string, host: Machine): string {
  const results = BENCHMARKS.map((b) => readResult(b.name)).filter((r): r is BenchResult => r !== undefined);
  const lines = [
    '# Benchmarks',
    '',
    'Generated by `npm run bench` ([bench/run.ts](bench/run.ts)); do not edit by hand. What each benchmark measures and how:',
    '[bench/README.md](bench/README.md).',
    '',
    `- **Commit:** ${rev}`,
    `- **Date:** ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    `- **Machine:** ${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB RAM, Node ${host.node}, ${host.os}`,
    `- **CPU index:** ${indexText(host)} — pure-JavaScript HMAC-SHA256 digests per second on one thread (\`cpuIndex\` in [bench/lib.ts](bench/lib.ts)), to compare rows measured on different machines.`,
    '- **Services:** PostgreSQL, NATS JetStream, the server under test and the load generator all on this one machine.',
    '',
    '| Benchmark | Result | Target | Pass/fail |',
    '| --- | --- | --- | --- |',
  ];
  const older: string[] = [];
  for (const r of results) {
    if (r.commit !== rev || r.machine.cpu !== host.cpu)
      older.push(`\`${r.name}\` was last run at ${r.commit} on ${r.date.slice(0, 16).replace('T', ' ')} UTC (${r.machine.cpu}, CPU index ${indexText(r.machine)}).`);
    if (r.error) {
      lines.push(`| ${r.name}: ${r.title} | could not run: ${r.error.replace(/\|/g, '\\|').split('\n')[0]} | — | **fail** |`);
      continue;
    }
    for (const m of r.metrics) {
      const ok = passes(m);
      lines.push(`| ${r.name}: ${m.label} | ${formatValue(m)} | ${formatTarget(m)} | ${ok === undefined ? 'recorded' : ok ? 'pass' : '**fail**'} |`);
    }
  }
  if (older.length > 0) lines.push('', ...older.map((o) => `Note: ${o}`));
  const notes = results.flatMap((r) => ((r.details.notes as string[] | undefined) ?? []).map((n) => `- **${r.name}:** ${n}`));
  if (notes.length > 0) lines.push('', '## Notes', '', ...notes);
  lines.push('', 'Raw figures: `bench/results/<name>.json`.', '');
  return lines.join('\n');
}
