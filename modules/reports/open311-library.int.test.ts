/**
 * A real Open311 client against this server over HTTP: Code for America's node-open311 (npm `open311` 0.0.12, the
 * GeoReport v2 client on npm), its code unchanged. It discovers the endpoint, lists the services, reads a service
 * definition, files a request with a channel's api_key and an attribute, and reads it back by id, by token and in
 * the list. Only its JSON mode is used: its two XML parsers are a git URL and a 2012 native addon that npm cannot
 * fetch or build here, so package.json's `overrides` put an empty module in their place (our XML answers are
 * checked in open311.int.test.ts).
 */
import type { AddressInfo } from 'node:net';
import Open311 from 'open311';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName } from '../../packages/kernel/src/testing.ts';
import { type TestServer, testServer } from '../../apps/server/src/testing.ts';

const APP102 = 'tk_app102_demo_Xq7pL2vN9rT4wK8mA3sD6fG1';

/** The library's callback as a promise; rejects with what it passes as the error (an HTTP status, or true). */
const call = <T>(fn: (cb: (err: unknown, data: T) => void) => void) =>
  new Promise<T>((resolve, reject) => fn((err, data) => (err ? reject(Object.assign(new Error(String(data)), { status: err })) : resolve(data))));

interface Service {
  service_code: string;
  service_name: string;
  metadata: boolean;
}
interface Request {
  service_request_id: string;
  status: string;
  service_code: string;
  lat: number | null;
  long: number | null;
  description: string | null;
  requested_datetime: Date;
}

describe(`a real Open311 client library (node-open311) on ${backendName}`, () => {
  let server: TestServer;
  let base: string;
  const count = async () => (await server.kernel.db.query<{ n: number }>('select count(*)::int8 as n from reports_report'))[0].n;

  beforeAll(async () => {
    server = await testServer();
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => server?.close());

  it('discovers the endpoint, lists the services and reads a service definition', async () => {
    const client = new Open311({ discovery: `${base}/open311/v2/discovery.json` });
    await call((cb) => client.serviceDiscovery({ cache: true }, cb));
    expect(client.endpoint).toBe(`${base}/open311/v2/`);
    expect(client.format).toBe('json');

    const services = await call<Service[]>((cb) => client.serviceList(cb));
    expect(services).toHaveLength(15);
    // The library sends no Accept-Language: names come in Russian, the platform's default.
    expect(services.find((s) => s.service_code === 'road-defect')).toMatchObject({ service_name: 'Дефект дороги', metadata: true });

    const definition = await call<{ service_code: string; attributes: { code: string; values: { key: string }[] }[] }>((cb) => client.serviceDefinition('road-defect', cb));
    expect(definition.service_code).toBe('road-defect');
    expect(definition.attributes.find((a) => a.code === 'defect_type')?.values.map((v) => v.key)).toContain('pothole');
  });

  it('files a request with an attribute and reads it back by id, by token and in the list', async () => {
    const client = new Open311({ endpoint: `${base}/open311/v2/`, apiKey: APP102 });
    const before = await count();
    const [filed] = await call<{ service_request_id?: string; token?: string }[]>((cb) =>
      client.submitRequest({ service_code: 'road-defect', lat: 43.2381, long: 76.9452, description: 'Deep pothole in the right lane', attributes: { defect_type: 'pothole' } }, cb),
    );
    expect(filed.service_request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(filed.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await count()).toBe(before + 1);
    const [row] = await server.kernel.db.query<{ category: string; channel: string; attributes: Record<string, string>; description: string }>(
      'select category, channel, attributes, description from reports_report where id = $1',
      [filed.service_request_id],
    );
    expect(row).toMatchObject({ category: 'road-defect', channel: 'app102', attributes: { defect_type: 'pothole' }, description: 'Deep pothole in the right lane' });

    // Read by anyone, a request shows its status but not where or what (a citizen's report is not public); the
    // channel that filed it sees all of it by passing its api_key.
    const [publicView] = await call<Request[]>((cb) => client.serviceRequest(filed.service_request_id as string, cb));
    expect(publicView).toMatchObject({ service_request_id: filed.service_request_id, status: 'open', service_code: 'road-defect', lat: null, long: null, description: null });
    const own = { api_key: APP102 };
    const [byId] = await call<Request[]>((cb) => client.serviceRequests(filed.service_request_id as string, own, cb));
    expect(byId).toMatchObject({ service_request_id: filed.service_request_id, status: 'open', service_code: 'road-defect', lat: 43.2381, long: 76.9452, description: 'Deep pothole in the right lane' });
    expect(byId.requested_datetime).toBeInstanceOf(Date); // the library parses the standard's datetimes
    expect(Date.now() - byId.requested_datetime.getTime()).toBeLessThan(60_000);

    const [byToken] = await call<{ service_request_id: string; token: string }[]>((cb) => client.token(filed.token as string, cb));
    expect(byToken).toEqual({ service_request_id: filed.service_request_id, token: filed.token });

    const listed = await call<Request[]>((cb) => client.serviceRequests({ service_code: 'road-defect', status: 'open', ...own }, cb));
    expect(listed.map((r) => r.service_request_id)).toContain(filed.service_request_id);
    const some = await call<Request[]>((cb) => client.serviceRequests([filed.service_request_id as string], own, cb));
    expect(some.map((r) => r.service_request_id)).toEqual([filed.service_request_id]);
  });

  it('a request with a wrong api_key or outside Kazakhstan is refused with the status and stores nothing', async () => {
    const before = await count();
    const stranger = new Open311({ endpoint: `${base}/open311/v2/`, apiKey: 'tk_nobody_0000000000000000000000' });
    await expect(call((cb) => stranger.submitRequest({ service_code: 'theft', lat: 43.25, long: 76.93 }, cb))).rejects.toMatchObject({ status: 403 });
    const client = new Open311({ endpoint: `${base}/open311/v2/`, apiKey: APP102 });
    // Paris: the library passes the standard's 400 and our error list through to its caller.
    await expect(call((cb) => client.submitRequest({ service_code: 'theft', lat: 48.8566, long: 2.3522 }, cb))).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('[{"code":400,"description":"lat/long: Точка находится за пределами Казахстана."}]'),
    });
    expect(await count()).toBe(before);
  });
});
