// Where the page is, as a hash route, so reloads and shared links land in the same place.
//   #/                           the catalogue
//   #/lab/<id>                   a lab shipped with the site, or one opened from a file this visit
//   #/url/<url>                  a lab fetched from a URL (as data)
//   #/join/<joinCode>            join a class as a student
//   #/teach                      create a class
//   #/teach/<classId>[/<secret>] a class's live view for its instructor; the page takes the
//                                secret into storage and drops it from the address (App.svelte)
export type Route =
  | { page: 'catalogue' }
  | { page: 'lab'; id: string }
  | { page: 'url'; url: string }
  | { page: 'join'; code: string }
  | { page: 'teach'; classId?: string; secret?: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [kind, ...rest] = path.split('/');
  const value = decodeURIComponent(rest.join('/'));
  if (kind === 'lab' && value) return { page: 'lab', id: value };
  if (kind === 'url' && value) return { page: 'url', url: value };
  if (kind === 'join' && value) return { page: 'join', code: value };
  if (kind === 'teach') {
    const [classId, secret] = rest.map((part) => decodeURIComponent(part));
    return { page: 'teach', ...(classId ? { classId } : {}), ...(secret ? { secret } : {}) };
  }
  return { page: 'catalogue' };
}

export function href(route: Route): string {
  if (route.page === 'lab') return `#/lab/${encodeURIComponent(route.id)}`;
  if (route.page === 'url') return `#/url/${encodeURIComponent(route.url)}`;
  if (route.page === 'join') return `#/join/${encodeURIComponent(route.code)}`;
  // Never a secret: a link the page makes goes to the class, whose secret is kept in storage.
  if (route.page === 'teach') return route.classId ? `#/teach/${encodeURIComponent(route.classId)}` : '#/teach';
  return '#/';
}
