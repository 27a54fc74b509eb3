/** Placeholder replaced by the benchmark suite. */
export async function runBenchmarks(_args: string[]): Promise<number> {
  return 0;
}
