/** "10.11.19" → "10.11": the product Version that DescribeAvailableDBConfig offers. */
export function majorMinor(v: string): string {
  return v.split('.').slice(0, 2).join('.');
}
