// A static file server on 127.0.0.1 for browser tests that need no Rally server.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };

/// Serves `files` (url path → content) and the directory `dir` under `/pkg/`.
export function serveStatic(dir, files) {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (files[path] !== undefined) {
      res.writeHead(200, { 'content-type': TYPES[extname(path) || '.html'] });
      return res.end(files[path]);
    }
    if (path.startsWith('/pkg/')) {
      const file = normalize(join(dir, path.slice(5)));
      if (file.startsWith(normalize(dir))) {
        try {
          const body = await readFile(file);
          res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream' });
          return res.end(body);
        } catch { /* fall through to 404 */ }
      }
    }
    res.writeHead(path === '/favicon.ico' ? 204 : 404);
    res.end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise((r) => server.close(r)),
  })));
}
