// account-center's GraphiQL page. The server embeds the bundle built from this file
// (`npm run build`, see ../README.md) and serves it from /graphiql/assets/; the page reads
// its settings from <script id="graphiql-config" type="application/json">.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/style.css';

const config = JSON.parse(document.getElementById('graphiql-config').textContent);
const here = new URL(config.endpoint, window.location.href);
const url = here.href;
const subscriptionUrl = config.subscriptions
  ? url.replace(/^http/, 'ws')
  : undefined;

// The token of an `Authorization: Bearer …` header typed into the Headers tab.
function bearer(headers) {
  if (!headers) return undefined;
  const name = Object.keys(headers).find((k) => k.toLowerCase() === 'authorization');
  const match = name && /^\s*bearer\s+(\S+)\s*$/i.exec(String(headers[name]));
  return match ? match[1] : undefined;
}

const plain = createGraphiQLFetcher({ url, subscriptionUrl });

// A browser cannot set headers on a WebSocket: the same-origin session cookie goes along
// by itself, and a bearer token from the Headers tab is sent as `{"token": …}` in
// `connection_init`, as the server reads it.
function fetcher(params, options) {
  const token = subscriptionUrl && bearer(options && options.headers);
  if (!token) return plain(params, options);
  return createGraphiQLFetcher({
    url,
    subscriptionUrl,
    wsConnectionParams: { token },
  })(params, options);
}

createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultQuery: config.defaultQuery,
    defaultHeaders: config.defaultHeaders,
    shouldPersistHeaders: false,
  }),
);
