// The web lab's entry: mount the app, and register the service worker that keeps
// the built site for offline use (the dev server has none).
import { mount } from 'svelte';
import App from './App.svelte';
import { prepareNodeCode } from '../vm/assets-web.js';
import { parseRoute } from './routes.js';
import './style.css';

mount(App, { target: document.getElementById('app')! });
// Most visits open a lab: its nodes' code compiles while the page draws. An instructor's
// dashboard runs no nodes.
if (parseRoute(location.hash).page !== 'teach') prepareNodeCode();

if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  navigator.serviceWorker.register('./sw.js').catch((error) => console.warn('podwire: no offline support:', error));
}
