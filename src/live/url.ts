/**
 * A URL as meshlint prints it: no userinfo (credentials), no query or fragment (tokens ride there too), no trailing
 * slash. Used for the API server of an audit and for Prometheus.
 * @returns the cleaned URL, or `invalid` when `raw` is not a URL.
 */
export function printableUrl(raw: string, invalid: string): string {
  try {
    const u = new URL(raw);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return invalid;
  }
}
