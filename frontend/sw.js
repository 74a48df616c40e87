// Tandem's service worker: keeps this deploy's app shell so the installed
// app opens offline, and opens the right session from a notification.
// The server stamps VERSION from the build it serves, so a new deploy is a
// new worker, which takes over and drops the old shell.
const VERSION = "__TANDEM_SHELL_VERSION__";
const SHELL = `tandem-shell-${VERSION}`;

// The page and what it loads: index.html names the hashed JS, WASM and CSS.
async function keepShell() {
  const cache = await caches.open(SHELL);
  const page = await fetch("/", { cache: "no-store" });
  if (!page.ok) throw new Error(`the app shell answered ${page.status}`);
  const html = await page.clone().text();
  const assets = new Set(["/manifest.webmanifest", "/icons/icon-192.png"]);
  for (const match of html.matchAll(/["'](\/[^"'?#]+\.(?:js|wasm|css))["']/g)) {
    assets.add(match[1]);
  }
  await cache.put("/", page);
  await cache.addAll([...assets]);
}

self.addEventListener("install", (event) => {
  event.waitUntil(keepShell().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith("tandem-shell-") && key !== SHELL) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // The API and the socket are live data: never from a cache.
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) {
    return;
  }
  if (request.mode === "navigate") {
    // The page: fresh when the server answers, the kept shell when not.
    event.respondWith(
      fetch(request).catch(async () => (await caches.open(SHELL)).match("/") || Response.error()),
    );
    return;
  }
  // Hashed assets never change under a name: the kept copy first.
  event.respondWith(
    (async () => (await (await caches.open(SHELL)).match(request)) || fetch(request))(),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin).href;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      for (const client of windows) {
        if (new URL(client.url).origin === self.location.origin) {
          await client.focus();
          return client.navigate(target);
        }
      }
      return self.clients.openWindow(target);
    })(),
  );
});
