// Where the page is, as a hash route, so reloads and shared links land in the same place.
//   #/               the catalogue
//   #/lab/<id>       a lab shipped with the site, or one opened from a file this visit
//   #/url/<url>      a lab fetched from a URL (as data)
export type Route = { page: 'catalogue' } | { page: 'lab'; id: string } | { page: 'url'; url: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [kind, ...rest] = path.split('/');
  const value = decodeURIComponent(rest.join('/'));
  if (kind === 'lab' && value) return { page: 'lab', id: value };
  if (kind === 'url' && value) return { page: 'url', url: value };
  return { page: 'catalogue' };
}

export function href(route: Route): string {
  if (route.page === 'lab') return `#/lab/${encodeURIComponent(route.id)}`;
  if (route.page === 'url') return `#/url/${encodeURIComponent(route.url)}`;
  return '#/';
}
