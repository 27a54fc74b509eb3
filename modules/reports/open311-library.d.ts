/** The part of Code for America's node-open311 (npm `open311`, no types of its own) that the client test uses. */
declare module 'open311' {
  type Callback<T> = (err: unknown, data: T) => void;
  class Open311 {
    constructor(options: { discovery?: string; endpoint?: string; apiKey?: string; jurisdiction?: string; format?: 'json' | 'xml' });
    endpoint?: string;
    format: string;
    serviceDiscovery<T = unknown>(options: { cache?: boolean; type?: string }, callback: Callback<T>): void;
    serviceList<T = unknown>(callback: Callback<T>): void;
    serviceDefinition<T = unknown>(serviceCode: string, callback: Callback<T>): void;
    submitRequest<T = unknown>(data: Record<string, unknown>, callback: Callback<T>): void;
    serviceRequests<T = unknown>(params: Record<string, string>, callback: Callback<T>): void;
    serviceRequests<T = unknown>(id: string | string[], params: Record<string, string>, callback: Callback<T>): void;
    serviceRequest<T = unknown>(id: string, callback: Callback<T>): void;
    token<T = unknown>(token: string, callback: Callback<T>): void;
  }
  export = Open311;
}
