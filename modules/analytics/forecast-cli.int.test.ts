/**
 * `tartip forecast evaluate` as an analyst runs it: a real process on the Chicago 2016 residential burglary file
 * (data/chicago-burglary-2016, EPSG:26971), and a small London-style file in longitude/latitude.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'apps/cli/tartip.mjs');
const CHICAGO = join(ROOT, 'data/chicago-burglary-2016/chicago_residential_burglary_2016.csv');

function tartip(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const chicago = (more: string[]) =>
  tartip(['forecast', 'evaluate', '--input', CHICAGO, '--time-col', 'date', '--x-col', 'X', '--y-col', 'Y', '--crs', 'EPSG:26971', '--train-end', '2016-09-30', '--cell', '150', '--coverage', '0.01', ...more]);

describe('tartip forecast evaluate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tartip-forecast-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('backtests every method on Chicago 2016 and prints PAI and PEI (JSON)', () => {
    const r = chicago(['--horizon', '1m', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.window).toEqual({ from: '2016-10-01T00:00:00.000Z', to: '2016-11-01T00:00:00.000Z' });
    // October 2016 per the data's README: 1,064 burglaries; the one row without a date is skipped and named.
    expect(out.testEvents).toBe(1064);
    expect(out.skipped.count).toBe(1);
    expect(out.methods.map((m: { method: string }) => m.method)).toEqual(['last-period', 'kde', 'prospective', 'combined', 'sepp']);
    for (const m of out.methods) {
      expect(m.areaFraction).toBeCloseTo(0.01, 3);
      expect(m.pai).toBeCloseTo(m.captured / m.total / m.areaFraction, 6);
      expect(m.pei).toBeCloseTo(m.captured / m.best, 6);
      // Far better than chance (PAI 1), well short of hindsight (PEI 1).
      expect(m.pai).toBeGreaterThan(3);
      expect(m.pei).toBeLessThan(1);
    }
  });

  it('backtests on H3 hexagons with --grid h3 --h3-res 9, a / A from the hexagons’ true areas', () => {
    const r = tartip(['forecast', 'evaluate', '--input', CHICAGO, '--time-col', 'date', '--x-col', 'X', '--y-col', 'Y', '--crs', 'EPSG:26971', '--train-end', '2016-09-30', '--horizon', '1m', '--coverage', '0.01', '--grid', 'h3', '--h3-res', '9', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ grid: 'h3', h3Res: 9, cell: null, testEvents: 1064 });
    // Resolution 9 in Chicago: hexagons of about 0.1 km² (the world average is 0.105 km²).
    expect(out.studyAreaKm2 / out.studyCells).toBeGreaterThan(0.09);
    expect(out.studyAreaKm2 / out.studyCells).toBeLessThan(0.12);
    for (const m of out.methods) {
      expect(m.cells).toBe(Math.round(0.01 * out.studyCells));
      expect(m.areaFraction).toBeCloseTo(0.01, 3);
      expect(m.pai).toBeCloseTo(m.captured / m.total / m.areaFraction, 6);
      expect(m.pei).toBeCloseTo(m.captured / m.best, 6);
      expect(m.pai).toBeGreaterThan(3);
    }
    const table = tartip(['forecast', 'evaluate', '--input', CHICAGO, '--time-col', 'date', '--x-col', 'X', '--y-col', 'Y', '--crs', 'EPSG:26971', '--train-end', '2016-09-30', '--horizon', '7d', '--coverage', '0.01', '--grid', 'h3', '--method', 'last-period']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/Grid of H3 hexagons at resolution 9; study area [\d,]+ cells \([\d.]+ km²\)/); // --h3-res defaults to 9
  });

  it('prints a table for people, one method at a time if asked', () => {
    const r = chicago(['--horizon', '7d', '--method', 'kde', '--method', 'prospective']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/forecast 2016-10-01 to 2016-10-07 \(7d, \d+ incidents\)/);
    expect(r.stdout).toMatch(/^kde\s+\d+\.\d\d\s+0\.\d{3}/m);
    expect(r.stdout).toMatch(/^prospective\s+\d+\.\d\d/m);
    expect(r.stdout).not.toMatch(/^sepp/m);
  });

  it('reads longitude/latitude with a category filter', () => {
    const rows = ['Month,Longitude,Latitude,Crime type'];
    // A burglary hotspot by Bank junction every few days; thefts scattered.
    for (let d = 1; d <= 28; d++) {
      rows.push(`2016-${d <= 20 ? '01' : '02'}-${String(((d - 1) % 20) + 1).padStart(2, '0')},-0.0889,51.5135,Burglary`);
      rows.push(`2016-01-${String(d).padStart(2, '0')},${(-0.11 + d * 0.001).toFixed(4)},${(51.51 + (d % 5) * 0.001).toFixed(4)},Theft`);
    }
    const file = join(dir, 'london.csv');
    writeFileSync(file, rows.join('\n'));
    const r = tartip(['forecast', 'evaluate', '--input', file, '--time-col', 'Month', '--x-col', 'Longitude', '--y-col', 'Latitude', '--category-col', 'Crime type', '--category', 'Burglary', '--train-end', '2016-01-20', '--horizon', '1m', '--cell', '100', '--coverage', '0.05', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.trainEvents).toBe(20);
    expect(out.testEvents).toBe(8);
    for (const m of out.methods) expect(m.captured).toBe(8);
  });

  it('refuses bad arguments with exit 2 and a reason', () => {
    expect(chicago(['--horizon', '1y'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--horizon/) });
    expect(chicago(['--horizon', '7d', '--crs', 'EPSG:2000'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown CRS EPSG:2000/) });
    const r = tartip(['forecast', 'evaluate', '--input', CHICAGO, '--time-col', 'when', '--x-col', 'X', '--y-col', 'Y', '--train-end', '2016-09-30', '--horizon', '7d', '--cell', '150', '--coverage', '0.01']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no column --time-col/);
    // Square cells take --cell, hexagons --h3-res: not both, and a resolution H3 has.
    expect(chicago(['--horizon', '7d', '--grid', 'h3'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--cell is the side of square cells; with --grid h3 give --h3-res/) });
    expect(chicago(['--horizon', '7d', '--h3-res', '9'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--h3-res goes with --grid h3/) });
    expect(chicago(['--horizon', '7d', '--grid', 'hex'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--grid: square or h3/) });
    const badRes = tartip(['forecast', 'evaluate', '--input', CHICAGO, '--time-col', 'date', '--x-col', 'X', '--y-col', 'Y', '--crs', 'EPSG:26971', '--train-end', '2016-09-30', '--horizon', '7d', '--coverage', '0.01', '--grid', 'h3', '--h3-res', '16']);
    expect(badRes).toMatchObject({ code: 2, stderr: expect.stringMatching(/--h3-res: an H3 resolution 0–15/) });
  });
});
