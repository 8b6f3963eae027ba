// Lifelong web UI. Plain ES module, no build step; marked, DOMPurify and highlight.js come from WebJars as globals.
// The contract it talks to is docs/http-api.md.

const $ = (id) => document.getElementById(id);
const el = {
  app: $('app'), main: document.querySelector('main'), sidebar: $('sidebar'), scrim: $('scrim'), menuBtn: $('menu-btn'), sidebarClose: $('sidebar-close'),
  newChat: $('new-chat'), list: $('conversation-list'), emptyList: $('empty-list'),
  title: $('conv-title'), modelName: $('model-name'),
  banner: $('error-banner'), bannerText: $('error-text'), bannerClose: $('error-close'),
  demo: $('demo-notice'), demoChoose: $('demo-choose'),
  chooserScreen: $('chooser-screen'), chooserDialog: $('chooser-dialog'), chooserDialogClose: $('chooser-dialog-close'),
  chooser: $('model-chooser'), chooserCurrent: $('chooser-current'), modelError: $('model-error'), pathForm: $('path-form'),
  chooserTitle: $('chooser-title'), chooserLeadOwner: $('chooser-lead-owner'), chooserReadonly: $('chooser-readonly'),
  chooserControls: $('chooser-controls'),
  pathInput: $('model-path-input'), pathSubmit: $('model-path-submit'), choices: $('choices'),
  chat: $('chat'), messages: $('messages'), inner: $('messages-inner'),
  composer: $('composer'), input: $('composer-input'), send: $('send'), stop: $('stop'),
  confirm: $('confirm-dialog'), confirmText: $('confirm-text'), confirmTitle: $('confirm-title'),
  confirmOk: $('confirm-ok'), confirmCancel: $('confirm-cancel'), live: $('live-region'),
  memoryOpen: $('memory-open'), memoryDialog: $('memory-dialog'), memoryClose: $('memory-close'),
  memoryAddForm: $('memory-add-form'), memoryAddInput: $('memory-add-input'), memoryAddKind: $('memory-add-kind'),
  memorySearch: $('memory-search'), memoryList: $('memory-list'), memoryEmpty: $('memory-empty'),
  historySearch: $('history-search'), historyResults: $('history-results'), memoryLearn: $('memory-learn'),
  modelOpen: $('model-open'), modelDialog: $('model-dialog'), modelClose: $('model-close'), modelServing: $('model-serving'),
  trainNow: $('train-now'), serveBase: $('serve-base'), trainProgress: $('train-progress'), trainPhase: $('train-phase'),
  trainBar: $('train-bar'), liveLoss: $('live-loss'), versionChart: $('version-chart'), versionsBody: $('versions-body'),
  versionsEmpty: $('versions-empty'), lossChart: $('loss-chart'), runFacts: $('run-facts'), jobsList: $('jobs-list'),
  privateLabel: $('private-label'), privateToggle: $('private-toggle'),
  modelSettings: $('model-settings'), updateWindow: $('update-window'), keepVersions: $('keep-versions'),
  loginScreen: $('login-screen'), loginSetup: $('login-setup'), loginError: $('login-error'), loginForm: $('login-form'),
  loginName: $('login-name'), loginPassword: $('login-password'), loginKeyForm: $('login-key-form'), loginKey: $('login-key'),
  accountOpen: $('account-open'), accountName: $('account-name'), accountDialog: $('account-dialog'), accountClose: $('account-close'),
  accountWho: $('account-who'), accountNoPassword: $('account-nopassword'), passwordForm: $('password-form'),
  passwordCurrent: $('password-current'), passwordCurrentLabel: $('password-current-label'), passwordNew: $('password-new'),
  passwordUsername: $('password-username'), keyForm: $('key-form'), keyName: $('key-name'), keyMemory: $('key-memory'),
  keySecret: $('key-secret'), keyList: $('key-list'), usersSection: $('users-section'), userForm: $('user-form'),
  userName: $('user-name'), userPassword: $('user-password'), userSecret: $('user-secret'), userList: $('user-list'),
  keySecretValue: $('key-secret-value'), keyCopy: $('key-copy'), userSecretLabel: $('user-secret-label'),
  userSecretValue: $('user-secret-value'), userCopy: $('user-copy'),
  logout: $('logout'),
};

const OFFLINE_MESSAGE = 'Lifelong server is not reachable — is it running?';

const state = {
  conversations: [],
  currentId: null,
  messages: [],          // messages of the current conversation, as the server returned them (+ live ones)
  status: null,          // last /api/status
  gen: null,             // {convId, controller, message} while a stream is open
  offline: false,
  editing: false,
  statusTimer: null,
  healthTimer: null,
  me: null,              // {user, via, csrfToken} once signed in
};

// ---------------------------------------------------------------- HTTP

class ApiError extends Error {
  constructor(message, status, type) { super(message); this.status = status; this.type = type; }
}

/** fetch that turns network failures into the offline banner and JSON errors into ApiError. */
async function request(method, path, body, options = {}) {
  let response;
  try {
    const headers = { ...(options.headers || {}), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
    // the session cookie alone cannot change anything: a state-changing request echoes the CSRF token
    if (method !== 'GET' && state.me && state.me.csrfToken) headers['X-CSRF-Token'] = state.me.csrfToken;
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: options.signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    goOffline();
    throw new ApiError(OFFLINE_MESSAGE, 0, 'network');
  }
  if (state.offline) goOnline();
  if (response.status === 401 && !options.noLoginScreen) { state.me = null; showLogin(); }
  if (!response.ok) throw await apiErrorFrom(response);
  if (options.raw) return response;
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

async function apiErrorFrom(response) {
  let message = `Request failed (${response.status} ${response.statusText})`;
  let type;
  try {
    const data = await response.json();
    if (data && data.error && data.error.message) { message = data.error.message; type = data.error.type; }
  } catch { /* not JSON: keep the generic message */ }
  return new ApiError(message, response.status, type);
}

const api = {
  authStatus: () => request('GET', '/api/auth/status', undefined, { noLoginScreen: true }),
  login: (name, password) => request('POST', '/api/auth/login', { name, password }, { noLoginScreen: true }),
  loginWithKey: (key) => request('POST', '/api/auth/login', { key }, { noLoginScreen: true }),
  // whose key is this? (asked with the key itself, before signing in with it)
  keyOwner: (key) => request('GET', '/api/auth/me', undefined, { noLoginScreen: true, headers: { Authorization: `Bearer ${key}` } }),
  logout: () => request('POST', '/api/auth/logout', {}),
  changePassword: (current, next) => request('POST', '/api/auth/password', current ? { current, new: next } : { new: next }),
  keys: () => request('GET', '/api/keys'),
  createKey: (name, memory) => request('POST', '/api/keys', { name, memory }),
  revokeKey: (id) => request('DELETE', `/api/keys/${id}`),
  keyMemory: (id, memory) => request('PATCH', `/api/keys/${id}`, { memory }),
  users: () => request('GET', '/api/users'),
  addUser: (name, password) => request('POST', '/api/users', password ? { name, password } : { name }),
  removeUser: (id) => request('DELETE', `/api/users/${id}`),
  status: () => request('GET', '/api/status'),
  loadModel: (path) => request('POST', '/api/model', { path }),
  download: (id) => request('POST', '/api/model/download', { id }),
  conversations: () => request('GET', '/api/conversations'),
  createConversation: () => request('POST', '/api/conversations', {}),
  rename: (id, title) => request('PATCH', `/api/conversations/${id}`, { title }),
  remove: (id) => request('DELETE', `/api/conversations/${id}`),
  messages: (id) => request('GET', `/api/conversations/${id}/messages`),
  stop: (id) => request('POST', `/api/conversations/${id}/stop`, {}),
  memories: () => request('GET', '/api/memories'),
  searchMemories: (q) => request('GET', `/api/memories/search?k=20&q=${encodeURIComponent(q)}`),
  addMemory: (text, kind) => request('POST', '/api/memories', { text, kind }),
  editMemory: (id, changes) => request('PATCH', `/api/memories/${id}`, changes),
  deleteMemory: (id) => request('DELETE', `/api/memories/${id}`),
  forgetMemory: (id) => request('POST', `/api/memories/${id}/forget`),
  memoriesUsed: (messageId) => request('GET', `/api/messages/${messageId}/memories`),
  searchHistory: (q) => request('GET', `/api/search?limit=20&q=${encodeURIComponent(q)}`),
  settings: () => request('GET', '/api/settings'),
  correct: (messageId, correction) => request('POST', `/api/messages/${messageId}/correction`, { correction }),
  saveSettings: (changes) => request('PATCH', '/api/settings', changes),
  setPrivate: (id, value) => request('PATCH', `/api/conversations/${id}`, { private: value }),
  rate: (messageId, rating) => request('POST', `/api/messages/${messageId}/rating`, { rating }),
  adapters: () => request('GET', '/api/adapters'),
  trainNow: () => request('POST', '/api/adapters/train'),
  serveVersion: (id) => request('POST', `/api/adapters/${id}/serve`),
  serveBase: () => request('POST', '/api/adapters/base'),
  adapterSettings: (updateWindow) => request('PATCH', '/api/adapters/settings', { updateWindow }),
  prune: (keep) => request('POST', '/api/adapters/prune', { keep }),
};

// ---------------------------------------------------------------- SSE

/**
 * Parses a text/event-stream body (EventSource cannot POST, so this reads fetch's ReadableStream).
 * Handles chunks split anywhere, \n, \r\n and \r line ends, multi-line data and comment lines.
 */
export async function* readEventStream(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data = [];
  let pendingCR = false;
  const dispatch = function* () {
    if (data.length) yield { event: event || 'message', data: data.join('\n') };
    event = ''; data = [];
  };
  const line = (text) => {
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  };
  for (;;) {
    const { value, done } = await reader.read();
    let chunk = done ? decoder.decode() : decoder.decode(value, { stream: true });
    if (pendingCR && chunk.startsWith('\n')) chunk = chunk.slice(1); // \r\n split across two chunks
    pendingCR = false;
    buffer += chunk;
    let match;
    while ((match = /\r\n|\r|\n/.exec(buffer))) {
      if (match[0] === '\r' && match.index === buffer.length - 1 && !done) { pendingCR = true; }
      const text = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      if (text === '') yield* dispatch(); else line(text);
    }
    if (done) {
      if (buffer) line(buffer);
      yield* dispatch();
      return;
    }
  }
}

// ---------------------------------------------------------------- Markdown

// What Markdown produces, and nothing else: no images, media, SVG, forms, frames or styles. Model output and imported
// messages are untrusted (a prompt injection can write anything): an <svg><image href>, a style with url(), a <video>
// poster or a <table background> would fetch from another host (leaking that the message was read, and more), and a
// style attribute could draw a fake page over the app. The Content-Security-Policy blocks the same things again.
const MARKDOWN_TAGS = ['p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'strong', 'b', 'em', 'i', 'del', 's', 'code',
  'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'sup', 'sub', 'kbd'];
const MARKDOWN_ATTRS = ['href', 'title', 'class', 'start', 'align'];
const SANITIZE = {
  ALLOWED_TAGS: MARKDOWN_TAGS, ALLOWED_ATTR: MARKDOWN_ATTRS, ALLOW_DATA_ATTR: false, ALLOW_ARIA_ATTR: false,
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
};

function setupMarkdown() {
  if (window.DOMPurify) {
    DOMPurify.addHook('uponSanitizeAttribute', (node, data) => {
      // a class of the app's own stylesheet could dress a message up as the app; only code blocks' language stays
      if (data.attrName === 'class' && !/^language-[\w+#.-]+$/.test(data.attrValue)) data.keepAttr = false;
    });
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A' && node.getAttribute('href')) {
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer');
      }
    });
  }
}

/** Model output is untrusted: Markdown → HTML → DOMPurify (allow-list), always. */
function renderMarkdown(target, text) {
  const html = window.marked ? marked.parse(text || '', { gfm: true, breaks: false }) : null;
  if (html === null || !window.DOMPurify) { target.textContent = text; return; }
  target.innerHTML = DOMPurify.sanitize(html, SANITIZE);
  for (const code of target.querySelectorAll('pre > code')) decorateCode(code);
}

function decorateCode(code) {
  if (window.hljs) {
    const lang = [...code.classList].find((c) => c.startsWith('language-'))?.slice(9);
    try {
      if (lang && !hljs.getLanguage(lang)) code.classList.add('hljs'); // unknown language: styled but plain
      else hljs.highlightElement(code); // known language, or none: highlight.js detects it
    } catch { /* leave it plain */ }
  }
  const pre = code.parentElement;
  const wrap = document.createElement('div');
  wrap.className = 'code-block';
  const bar = document.createElement('div');
  bar.className = 'code-bar';
  const label = document.createElement('span');
  label.textContent = [...code.classList].find((c) => c.startsWith('language-'))?.slice(9) || 'code';
  const copy = button('Copy', 'copy-btn', () => copyText(code.textContent, copy));
  copy.setAttribute('aria-label', 'Copy code');
  bar.append(label, copy);
  pre.replaceWith(wrap);
  wrap.append(bar, pre);
}

async function copyText(text, btn) {
  try {
    if (navigator.clipboard && window.isSecureContext) await navigator.clipboard.writeText(text);
    else {
      const area = document.createElement('textarea');
      area.value = text; area.style.position = 'fixed'; area.style.opacity = '0';
      document.body.append(area); area.select(); document.execCommand('copy'); area.remove();
    }
    const old = btn.textContent;
    btn.textContent = 'Copied'; btn.classList.add('done');
    setTimeout(() => { btn.textContent = old; btn.classList.remove('done'); }, 1500);
  } catch {
    showError('Could not copy to the clipboard.');
  }
}

/**
 * A key is shown once. Where the clipboard is refused (no permission, or a plain-http address other than localhost) it
 * is left selected, so Ctrl+C copies it.
 */
async function copySecret(value, btn) {
  let copied = false;
  try {
    if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(value.textContent); copied = true; }
  } catch { /* falls back to the selection */ }
  if (!copied) {
    const range = document.createRange();
    range.selectNodeContents(value);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try { copied = document.execCommand('copy'); } catch { copied = false; }
  }
  btn.textContent = copied ? 'Copied' : 'Selected: press Ctrl+C';
  btn.classList.toggle('done', copied);
  succeed(copied ? 'Key copied to the clipboard.' : 'The key is selected: press Ctrl+C (⌘C on a Mac) to copy it.');
  setTimeout(() => { btn.textContent = 'Copy'; btn.classList.remove('done'); }, 2500);
}

// ---------------------------------------------------------------- small DOM helpers

function button(text, className, onClick, testid) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className;
  b.textContent = text;
  if (testid) b.dataset.testid = testid;
  if (onClick) b.addEventListener('click', onClick);
  return b;
}

function icon(path) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.innerHTML = path;
  return svg;
}

function iconButton(label, path, className, onClick, testid) {
  const b = button('', `icon-btn ${className}`, onClick, testid);
  b.setAttribute('aria-label', label);
  b.title = label;
  b.append(icon(path));
  return b;
}

const ICONS = {
  pencil: '<path d="M4 20h4L19 9l-4-4L4 16v4z"/><path d="M14 6l4 4"/>',
  trash: '<path d="M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13"/>',
  refresh: '<path d="M20 11a8 8 0 1 0-2.3 5.7"/><path d="M20 4v7h-7"/>',
  flag: '<path d="M5 21V4h11l-1.5 4L16 12H5"/>',
  copy: '<rect x="8" y="8" width="12" height="12" rx="2"/><path d="M16 8V5a1 1 0 0 0-1-1H5a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h3"/>',
  up: '<path d="M7 11v9H4v-9h3zM7 11l4-8c1.5 0 2.5 1 2.5 2.5V9h5a2 2 0 0 1 2 2.3l-1.2 7A2 2 0 0 1 17.3 20H7"/>',
  down: '<path d="M7 13V4H4v9h3zM7 13l4 8c1.5 0 2.5-1 2.5-2.5V15h5a2 2 0 0 0 2-2.3l-1.2-7A2 2 0 0 0 17.3 4H7"/>',
};

// ---------------------------------------------------------------- banner and dialog feedback

/** The dialog the user is working in, if any (the confirmation dialog only asks, and closes before the work runs). */
function activeDialog() {
  return [...document.querySelectorAll('dialog[open]')].filter((d) => d !== el.confirm).pop() || null;
}

function showError(message) {
  if (state.offline && message !== OFFLINE_MESSAGE) return; // the offline banner explains everything
  // a modal dialog covers the page banner with its backdrop: its errors are shown inside it
  const dialog = activeDialog();
  if (dialog === el.chooserDialog) setChooserError(message);
  else if (dialog) dialogError(dialog, message);
  if (dialog && message !== OFFLINE_MESSAGE) return;
  el.bannerText.textContent = message;
  el.banner.dataset.kind = message === OFFLINE_MESSAGE ? 'offline' : 'error';
  el.banner.hidden = false;
}

function dialogError(dialog, message) {
  const error = dialog.querySelector('.dialog-error');
  if (!error) return;
  dialogStatus(dialog, '');
  error.textContent = message;
  error.hidden = !message;
}

const statusTimers = new WeakMap();

/** A short notice in the dialog's role="status" line that fades after a few seconds. */
function dialogStatus(dialog, text) {
  const status = dialog.querySelector('.dialog-status');
  if (!status) return;
  clearTimeout(statusTimers.get(status));
  status.classList.remove('fading');
  status.textContent = text;
  if (!text) return;
  statusTimers.set(status, setTimeout(() => {
    status.classList.add('fading');
    statusTimers.set(status, setTimeout(() => { status.textContent = ''; status.classList.remove('fading'); }, 1000));
  }, 5000));
}

/** Opens a dialog without what an earlier visit left in it. */
function openDialog(dialog) {
  dialogError(dialog, '');
  dialogStatus(dialog, '');
  if (!dialog.open) dialog.showModal();
}

/** Something worked: the error it may have followed is out of date. Says so in the dialog, or to screen readers. */
function succeed(text) {
  const dialog = activeDialog();
  if (dialog && dialog !== el.chooserDialog) {
    dialogError(dialog, '');
    if (text) dialogStatus(dialog, text);
    return;
  }
  if (el.banner.dataset.kind !== 'offline') hideError();
  if (text) announce(text);
}

function hideError() { el.banner.hidden = true; }

function reportError(e) {
  if (e && e.name === 'AbortError') return;
  if (!(e instanceof ApiError)) console.error(e);
  if (e && e.type === 'network') return; // offline banner is already up
  showError(e && e.message ? e.message : String(e));
}

function goOffline() {
  if (state.offline) return;
  state.offline = true;
  showError(OFFLINE_MESSAGE);
  el.banner.classList.add('offline');
  clearInterval(state.healthTimer);
  state.healthTimer = setInterval(checkHealth, 3000);
}

function goOnline() {
  state.offline = false;
  clearInterval(state.healthTimer);
  state.healthTimer = null;
  if (el.banner.dataset.kind === 'offline') hideError();
  el.banner.classList.remove('offline');
}

async function checkHealth() {
  try {
    await fetch('/healthz', { cache: 'no-store' }); // 200 or 503: either way the server answers
  } catch { return; }
  goOnline();
  await refreshStatus().catch(reportError);
  await loadConversations().catch(reportError);
}

// ---------------------------------------------------------------- model status and chooser

async function refreshStatus() {
  const status = await api.status();
  applyStatus(status);
  return status;
}

/** The base model is shared by everyone on the installation and only its owner changes it (the server refuses others). */
function isOwner() { return state.me?.user?.role === 'owner'; }

function applyStatus(status) {
  state.status = status;
  const model = status.model || {};
  const owner = isOwner();
  el.modelName.textContent = model.loaded ? (model.name || 'model') : 'No model';
  el.modelName.classList.toggle('none', !model.loaded);
  el.modelName.title = owner ? 'Change model' : 'Model in use';
  el.demo.hidden = !(model.loaded && model.demo);
  el.demoChoose.hidden = !owner;
  el.chooserCurrent.hidden = !model.loaded;
  el.chooserCurrent.textContent = model.loaded
    ? `Now running: ${model.name}${model.demo ? ' (demo)' : ''}${model.training ? ` — ${model.training}` : ''}` : '';
  // members see what runs, read-only: no controls the server would refuse, and none of the owner's errors
  el.chooserTitle.textContent = owner ? 'Choose a model' : model.loaded ? 'Model in use' : 'No model yet';
  el.chooserLeadOwner.hidden = !owner;
  el.chooserControls.hidden = !owner;
  el.chooserReadonly.hidden = owner;
  el.chooserReadonly.textContent = model.loaded ? 'Only the owner of this installation can change the model.'
    : 'No model is loaded yet. Only the owner of this installation can choose one.';
  el.chooserScreen.setAttribute('aria-label', owner ? 'Choose a model' : 'Model');
  const download = status.download;
  const downloading = download && download.state === 'running';
  if (downloading) state.downloadSeen = download.id;

  if (!model.loaded) {
    el.chat.hidden = true;
    if (el.chooserDialog.open) el.chooserDialog.close();
    el.chooserScreen.append(el.chooser);
    el.chooserScreen.hidden = false;
  } else {
    el.chooserScreen.hidden = true;
    el.chat.hidden = false;
    if (el.chooser.parentElement !== el.chooserDialog) el.chooserDialog.append(el.chooser);
  }
  // The server keeps the last download's failure until the next download; it is news only to the page that saw that
  // download run (or started it), and only until the chooser is opened again.
  const failed = owner && download && download.state === 'failed' && download.error && state.downloadSeen === download.id
    ? `Download failed: ${download.error}` : '';
  const message = failed || (owner && model.error) || '';
  if (!el.modelError.dataset.local) {
    el.modelError.textContent = message;
    el.modelError.hidden = !message;
  }
  renderChoices(owner ? status.choices || [] : [], download);
  renderConversations();

  // Poll while a download runs, and after it is done until the server has loaded the new model.
  clearTimeout(state.statusTimer);
  if (downloading && !state.watch) { // e.g. the page was reloaded during a download
    state.watch = { before: model.loaded ? `${model.path}|${model.name}` : null, waits: 0 };
  }
  const watch = state.watch;
  const newModelUp = model.loaded && `${model.path}|${model.name}` !== watch?.before;
  if (downloading) {
    state.statusTimer = setTimeout(() => refreshStatus().catch(reportError), 1000);
  } else if (watch && download && download.state === 'done' && !newModelUp && ++watch.waits < 180) {
    state.statusTimer = setTimeout(() => refreshStatus().catch(reportError), 1000);
  } else if (watch) {
    state.watch = null;
    if (download && download.state === 'done' && newModelUp) {
      if (el.chooserDialog.open) el.chooserDialog.close();
      announce(`${model.name} is ready.`);
      loadConversations().catch(reportError);
    }
    renderChoices(owner ? status.choices || [] : [], download);
  }
}

function formatMB(bytes) { return `${Math.round(bytes / 1e6).toLocaleString()} MB`; }

function renderChoices(choices, download) {
  const running = download && download.state === 'running';
  el.choices.replaceChildren(...choices.map((choice) => {
    const li = document.createElement('li');
    li.className = 'choice';
    li.dataset.testid = 'model-choice';
    li.dataset.id = choice.id;
    const info = document.createElement('div');
    info.className = 'choice-info';
    const name = document.createElement('strong');
    name.textContent = choice.name;
    const meta = document.createElement('span');
    meta.className = 'choice-meta';
    meta.textContent = `${formatMB(choice.sizeBytes)} · ${choice.license} · ${choice.trainable ? 'chats and trains' : 'chat only'}`;
    if (choice.training) meta.title = choice.training;
    info.append(name, meta);
    const mine = download && download.id === choice.id;
    const btn = button(mine && running ? 'Downloading…' : 'Download', 'btn', () => startDownload(choice.id), 'model-download');
    btn.disabled = !!running;
    btn.setAttribute('aria-label', `Download ${choice.name}`);
    li.append(info, btn);
    if (mine && (running || (download.state === 'done' && state.watch))) {
      const total = download.total || choice.sizeBytes || 1;
      const pct = download.state === 'done' ? 100 : Math.min(100, Math.floor((download.bytes / total) * 100));
      const progress = document.createElement('div');
      progress.className = 'progress';
      progress.setAttribute('role', 'progressbar');
      progress.setAttribute('aria-label', `Downloading ${choice.name}`);
      progress.setAttribute('aria-valuemin', '0');
      progress.setAttribute('aria-valuemax', '100');
      progress.setAttribute('aria-valuenow', String(pct));
      const bar = document.createElement('span');
      bar.style.width = `${pct}%`;
      progress.append(bar);
      const label = document.createElement('span');
      label.className = 'progress-label';
      label.textContent = download.state === 'done' ? 'Downloaded — loading…' : `${pct}% · ${formatMB(download.bytes)} of ${formatMB(total)}`;
      li.append(progress, label);
    }
    return li;
  }));
}

function setChooserError(message) {
  if (message) { el.modelError.textContent = message; el.modelError.hidden = false; el.modelError.dataset.local = '1'; }
  else { delete el.modelError.dataset.local; el.modelError.hidden = true; }
}

async function startDownload(id) {
  setChooserError(null);
  state.downloadSeen = id;
  try {
    const model = state.status?.model;
    state.watch = { before: model?.loaded ? `${model.path}|${model.name}` : null, waits: 0 };
    await api.download(id);
    await refreshStatus();
  } catch (e) {
    state.watch = null;
    setChooserError(e.message);
  }
}

el.pathForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const path = el.pathInput.value.trim();
  if (!path) { setChooserError('Enter the full path of a .gguf file on this computer.'); el.pathInput.focus(); return; }
  setChooserError(null);
  el.pathSubmit.disabled = true;
  el.pathSubmit.textContent = 'Loading…';
  try {
    const status = await api.loadModel(path);
    el.pathInput.value = '';
    if (el.chooserDialog.open) el.chooserDialog.close();
    applyStatus(status);
    announce(`${status.model.name} is loaded.`);
    await loadConversations();
  } catch (e) {
    setChooserError(e.message);
  } finally {
    el.pathSubmit.disabled = false;
    el.pathSubmit.textContent = 'Load';
  }
});

function openChooserDialog() {
  setChooserError(null);
  if (state.status?.download?.state !== 'running') state.downloadSeen = null; // an earlier failure is old news now
  if (state.status && !state.status.model.loaded) return; // the full-screen chooser is already showing
  el.chooserDialog.append(el.chooser);
  el.chooserDialog.showModal();
  refreshStatus().catch(reportError);
}

el.demoChoose.addEventListener('click', (e) => { e.preventDefault(); openChooserDialog(); });
el.modelName.addEventListener('click', openChooserDialog);
el.chooserDialogClose.addEventListener('click', () => el.chooserDialog.close());
el.chooserDialog.addEventListener('click', (e) => { if (e.target === el.chooserDialog) el.chooserDialog.close(); });

// ---------------------------------------------------------------- conversations

async function loadConversations() {
  state.conversations = await api.conversations();
  renderConversations();
}

function currentConversation() { return state.conversations.find((c) => c.id === state.currentId); }

function renderConversations() {
  if (state.renaming) { updateTitle(); return; } // don't pull the rename field away from under the user's fingers
  el.emptyList.hidden = state.conversations.length > 0;
  el.list.replaceChildren(...state.conversations.map(conversationItem));
  updateTitle();
}

function updateTitle() {
  const current = currentConversation();
  const noModel = state.status && !state.status.model.loaded;
  el.title.textContent = noModel ? 'Welcome to Lifelong' : current ? (current.title || 'New chat') : 'New chat';
  document.title = current && current.title ? `${current.title} · Lifelong` : 'Lifelong';
  showPrivate();
}

function conversationItem(conv) {
  const li = document.createElement('li');
  li.className = 'conv';
  li.dataset.testid = 'conversation-item';
  li.dataset.id = String(conv.id);
  const current = conv.id === state.currentId;
  if (current) li.classList.add('current');
  const open = button(conv.title || 'New chat', 'conv-open', () => selectConversation(conv.id));
  open.title = conv.title || 'New chat';
  if (current) open.setAttribute('aria-current', 'page');
  const actions = document.createElement('span');
  actions.className = 'conv-actions';
  actions.append(
    iconButton(`Rename “${conv.title || 'New chat'}”`, ICONS.pencil, 'conv-action', () => startRename(li, conv), 'conversation-rename'),
    iconButton(`Delete “${conv.title || 'New chat'}”`, ICONS.trash, 'conv-action', () => confirmDelete(conv), 'conversation-delete'),
  );
  li.append(open, actions);
  return li;
}

function startRename(li, conv) {
  const input = document.createElement('input');
  input.className = 'rename-input';
  input.value = conv.title || '';
  input.setAttribute('aria-label', 'Conversation title');
  input.dataset.testid = 'rename-input';
  input.maxLength = 200;
  li.replaceChildren(input);
  state.renaming = true;
  input.focus();
  input.select();
  let finished = false;
  const finish = async (save) => {
    if (finished) return;
    finished = true;
    state.renaming = false;
    const title = input.value.trim();
    if (save && title && title !== conv.title) {
      try {
        const updated = await api.rename(conv.id, title);
        Object.assign(conv, updated);
        await loadConversations(); // the server decides the order
      } catch (e) { reportError(e); }
    }
    renderConversations();
    el.list.querySelector(`[data-id="${conv.id}"] .conv-open`)?.focus();
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); finish(true); }
    else if (e.key === 'Escape') { e.preventDefault(); finish(false); }
  });
  input.addEventListener('blur', () => finish(true));
}

/** Our own modal (testable, styled); resolves true on confirm. */
function confirmDialog(title, text, okLabel) {
  el.confirmTitle.textContent = title;
  el.confirmText.textContent = text;
  el.confirmOk.textContent = okLabel;
  return new Promise((resolve) => {
    const done = (value) => {
      el.confirmOk.removeEventListener('click', ok);
      el.confirmCancel.removeEventListener('click', cancel);
      el.confirm.removeEventListener('close', cancel);
      if (el.confirm.open) el.confirm.close();
      resolve(value);
    };
    const ok = () => done(true);
    const cancel = () => done(false);
    el.confirmOk.addEventListener('click', ok);
    el.confirmCancel.addEventListener('click', cancel);
    el.confirm.addEventListener('close', cancel);
    el.confirm.showModal();
    el.confirmCancel.focus();
  });
}

async function confirmDelete(conv) {
  const yes = await confirmDialog('Delete conversation?',
    `“${conv.title || 'New chat'}” and all its messages will be deleted. This cannot be undone.`, 'Delete');
  if (!yes) return;
  try {
    if (state.gen && state.gen.convId === conv.id) await stopGeneration();
    await api.remove(conv.id);
    if (state.currentId === conv.id) { rememberConversation(null); state.currentId = null; state.messages = []; renderMessages(); }
    await loadConversations();
    succeed('Conversation deleted.');
  } catch (e) { reportError(e); }
}

async function selectConversation(id) {
  const fromDrawer = el.app.dataset.sidebar === 'open';
  closeSidebar();
  if (state.currentId === id) { if (fromDrawer) el.input.focus(); return; } // focus was in the drawer, now inert
  state.currentId = id;
  state.editing = false;
  rememberConversation(id);
  renderConversations();
  state.messages = [];
  renderMessages();
  try {
    const messages = await api.messages(id);
    if (state.currentId !== id) return;
    state.messages = messages;
    mergeLiveMessage();
    renderMessages();
    el.input.focus({ preventScroll: true });
  } catch (e) {
    reportError(e);
    if (e.status === 404) { state.currentId = null; await loadConversations().catch(reportError); renderMessages(); }
  }
}

/** The conversation lives in the URL fragment, so a reload (or a bookmark) reopens it. */
function rememberConversation(id) {
  history.replaceState(null, '', id == null ? location.pathname : `#c${id}`);
}

function newChat() {
  closeSidebar();
  rememberConversation(null);
  state.currentId = null;
  state.messages = [];
  state.editing = false;
  renderConversations();
  renderMessages();
  el.input.focus();
}

// ---------------------------------------------------------------- messages

function mergeLiveMessage() {
  const gen = state.gen;
  if (!gen || gen.convId !== state.currentId) return;
  state.messages = state.messages.filter((m) => m.id !== gen.message.id && !(gen.user && m.id === gen.user.id));
  if (gen.user) state.messages.push(gen.user);
  state.messages.push(gen.message);
}

function renderMessages() {
  const stick = isNearBottom();
  if (!state.messages.length) {
    el.inner.replaceChildren(emptyState());
  } else {
    const lastUser = findLastIndex(state.messages, (m) => m.role === 'user');
    const lastAssistant = findLastIndex(state.messages, (m) => m.role === 'assistant');
    const generating = !!state.gen;
    el.inner.replaceChildren(...state.messages.map((m, i) =>
      messageView(m, { canEdit: !generating && i === lastUser, canRegenerate: !generating && i === lastAssistant && i === state.messages.length - 1 })));
  }
  if (stick) scrollToBottom();
  updateComposer();
}

function findLastIndex(array, test) {
  for (let i = array.length - 1; i >= 0; i--) if (test(array[i])) return i;
  return -1;
}

function emptyState() {
  const div = document.createElement('div');
  div.className = 'empty-chat';
  const img = document.createElement('img');
  img.src = 'favicon.svg'; img.alt = ''; img.width = 56; img.height = 56;
  const h = document.createElement('h2');
  h.textContent = 'What’s on your mind?';
  const p = document.createElement('p');
  p.textContent = 'Lifelong runs on your computer and learns from your conversations, a little every night.';
  div.append(img, h, p);
  return div;
}

function messageView(m, { canEdit, canRegenerate }) {
  const article = document.createElement('article');
  article.className = `message ${m.role}`;
  article.dataset.testid = 'message';
  article.dataset.role = m.role;
  article.dataset.status = m.status || 'complete';
  if (m.id != null) article.dataset.messageId = String(m.id);
  article.setAttribute('aria-label', m.role === 'user' ? 'You' : 'Lifelong');

  const content = document.createElement('div');
  content.className = 'message-content';
  content.dataset.testid = 'message-content';

  if (m.role === 'user' && canEdit && state.editing) {
    article.append(editView(m));
    return article;
  }
  if (m.role === 'user') {
    content.textContent = m.content; // plain text; CSS keeps the newlines
  } else if (m.status === 'generating' && !m.content) {
    content.append(typingIndicator());
  } else {
    renderMarkdown(content, m.content);
  }
  if (m.status === 'generating') article.setAttribute('aria-busy', 'true');
  article.append(content);

  if (m.role === 'assistant' && (m.status === 'partial' || m.status === 'error')) {
    const note = document.createElement('p');
    note.className = `message-note ${m.status}`;
    note.textContent = m.status === 'partial' ? 'Stopped — this answer is incomplete.'
      : `The answer was interrupted by an error${m.errorMessage ? `: ${m.errorMessage}` : '.'}`;
    article.append(note);
  }

  if (m.role === 'assistant' && m.id != null && m.status !== 'generating') article.append(memoriesUsedView(m));

  const actions = document.createElement('div');
  actions.className = 'message-actions';
  if (m.role === 'assistant' && m.status !== 'generating' && m.content) {
    actions.append(iconButton('Copy answer', ICONS.copy, 'msg-action', (e) => copyText(m.content, e.currentTarget)));
  }
  if (m.role === 'assistant' && m.id != null && m.status !== 'generating') {
    actions.append(iconButton('Good answer', ICONS.up, 'msg-action', (e) => rate(m, 'up', e.currentTarget), 'rate-up'));
    actions.append(iconButton('Bad answer (not used for training)', ICONS.down, 'msg-action', (e) => rate(m, 'down', e.currentTarget), 'rate-down'));
    actions.append(iconButton('Wrong? Say what is right', ICONS.flag, 'msg-action', () => article.append(correctionForm(m, article)), 'correct'));
  }
  if (canRegenerate) actions.append(iconButton('Regenerate answer', ICONS.refresh, 'msg-action', regenerate, 'regenerate'));
  if (canEdit) actions.append(iconButton('Edit message', ICONS.pencil, 'msg-action', () => { state.editing = true; renderMessages(); focusEdit(); }, 'edit-last'));
  if (actions.childElementCount) article.append(actions);
  return article;
}

function typingIndicator() {
  const span = document.createElement('span');
  span.className = 'typing';
  span.setAttribute('aria-label', 'Lifelong is thinking');
  span.append(document.createElement('i'), document.createElement('i'), document.createElement('i'));
  return span;
}

function editView(m) {
  const form = document.createElement('form');
  form.className = 'edit-form';
  const area = document.createElement('textarea');
  area.className = 'edit-input';
  area.dataset.testid = 'edit-input';
  area.value = m.content;
  area.setAttribute('aria-label', 'Edit your message');
  area.addEventListener('input', () => autoGrow(area, 320));
  area.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { state.editing = false; renderMessages(); }
    else if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  });
  const actions = document.createElement('div');
  actions.className = 'edit-actions';
  const cancel = button('Cancel', 'btn', () => { state.editing = false; renderMessages(); });
  const save = button('Save & resend', 'btn primary', null, 'edit-save');
  save.type = 'submit';
  actions.append(cancel, save);
  form.append(area, actions);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = area.value.trim();
    if (!text) { area.focus(); return; }
    state.editing = false;
    editLast(text);
  });
  return form;
}

function focusEdit() {
  const area = el.inner.querySelector('.edit-input');
  if (area) { autoGrow(area, 320); area.focus(); area.setSelectionRange(area.value.length, area.value.length); }
}

function isNearBottom() {
  const m = el.messages;
  return m.scrollHeight - m.scrollTop - m.clientHeight < 120;
}

function scrollToBottom() { el.messages.scrollTop = el.messages.scrollHeight; }

function announce(text) {
  el.live.textContent = '';
  setTimeout(() => { el.live.textContent = text; }, 50);
}

function announceThinking() {
  announce('Lifelong is thinking…');
}

// ---------------------------------------------------------------- generation

async function send(text) {
  if (state.gen) return;
  hideError();
  let convId = state.currentId;
  if (convId == null) {
    try {
      const conv = await api.createConversation();
      convId = conv.id;
      state.currentId = conv.id;
      rememberConversation(conv.id);
      state.conversations = [conv, ...state.conversations.filter((c) => c.id !== conv.id)];
      renderConversations();
    } catch (e) { reportError(e); return false; }
  }
  const user = { id: null, role: 'user', content: text, status: 'complete', pending: true };
  return stream(convId, `/api/conversations/${convId}/messages`, { content: text }, user);
}

async function regenerate() {
  if (state.gen || state.currentId == null) return;
  hideError();
  state.messages = state.messages.filter((m, i) => !(i === state.messages.length - 1 && m.role === 'assistant'));
  await stream(state.currentId, `/api/conversations/${state.currentId}/regenerate`, {}, null);
}

async function editLast(text) {
  if (state.gen || state.currentId == null) return;
  hideError();
  const lastUser = findLastIndex(state.messages, (m) => m.role === 'user');
  const previous = state.messages;
  if (lastUser >= 0) state.messages = state.messages.slice(0, lastUser);
  const user = { id: null, role: 'user', content: text, status: 'complete', pending: true };
  const ok = await stream(state.currentId, `/api/conversations/${state.currentId}/edit`, { content: text }, user);
  if (ok === false && state.messages.length <= lastUser) { state.messages = previous; renderMessages(); }
}

/**
 * Opens one generation stream. `user` is the optimistic user message (null for regenerate).
 * Returns false when the request was refused before any stream began.
 */
async function stream(convId, path, body, user) {
  const controller = new AbortController();
  const message = { id: null, role: 'assistant', content: '', status: 'generating' };
  const gen = state.gen = { convId, controller, message, user };
  if (user) state.messages.push(user);
  state.messages.push(message);
  renderMessages();
  scrollToBottom();
  announceThinking();

  let frame = 0;
  const paint = () => {
    frame = 0;
    if (state.currentId !== convId) return;
    const view = el.inner.querySelector('.message.generating-live .message-content');
    if (!view) { renderMessages(); markLive(); return; }
    const stick = isNearBottom();
    renderMarkdown(view, message.content);
    if (stick) scrollToBottom();
  };
  const schedule = () => { if (!frame) frame = requestAnimationFrame(paint); };
  markLive();

  let response;
  try {
    response = await request('POST', path, body, { raw: true, signal: controller.signal });
  } catch (e) {
    state.gen = null;
    // Refused before generating (e.g. 409 busy, 503 no model): take the optimistic messages back.
    if (state.currentId === convId) {
      state.messages = state.messages.filter((m) => m !== message && m !== user);
      renderMessages();
    }
    if (e.name !== 'AbortError') reportError(e);
    if (e.status === 503) refreshStatus().catch(reportError);
    updateComposer();
    return false;
  }

  let finished = false;
  try {
    for await (const { event, data } of readEventStream(response.body)) {
      let payload;
      try { payload = JSON.parse(data); } catch { continue; }
      if (event === 'user') {
        Object.assign(user || (gen.user = {}), payload, { pending: false });
      } else if (event === 'start') {
        message.id = payload.messageId;
      } else if (event === 'memories') {
        message.memories = payload;
      } else if (event === 'token') {
        message.content += payload.text ?? '';
        schedule();
      } else if (event === 'done') {
        Object.assign(message, payload);
        finished = true;
      } else if (event === 'error') {
        message.status = 'error';
        message.errorMessage = payload.error && payload.error.message;
        finished = true;
        reportError(new ApiError(message.errorMessage || 'Generation failed.', 500, 'server_error'));
      }
    }
    if (!finished) message.status = message.content ? 'partial' : 'error';
  } catch (e) {
    if (e.name === 'AbortError') {
      message.status = 'partial';
    } else {
      message.status = message.content ? 'partial' : 'error';
      // The stream broke mid-way; find out whether the server itself is gone.
      fetch('/healthz', { cache: 'no-store' }).catch(goOffline);
      reportError(new ApiError('The answer stream was interrupted.', 0));
    }
  } finally {
    if (frame) cancelAnimationFrame(frame);
    if (state.gen === gen) state.gen = null;
  }
  if (state.currentId === convId) {
    renderMessages();
    // The list itself is re-rendered freely, so the answer reaches screen readers through the live region, once.
    const rendered = el.inner.querySelector(`[data-message-id="${message.id}"] .message-content`)?.cloneNode(true);
    rendered?.querySelectorAll('.code-bar').forEach((bar) => bar.remove());
    const spoken = rendered?.textContent.trim() || message.content;
    const note = message.status === 'complete' ? '' : message.status === 'partial' ? ' (stopped)' : ' (interrupted by an error)';
    announce(`Lifelong: ${spoken}${note}`);
  }
  updateComposer();
  loadConversations().catch(reportError); // picks up the title set by the first answer, and the new order
  return true;
}

function markLive() {
  const gen = state.gen;
  if (!gen) return;
  const views = el.inner.querySelectorAll('.message');
  const last = views[views.length - 1];
  if (last && last.dataset.status === 'generating') last.classList.add('generating-live');
}

async function stopGeneration() {
  const gen = state.gen;
  if (!gen) return;
  el.stop.disabled = true;
  try { await api.stop(gen.convId); } catch (e) { if (e.type !== 'network') console.warn(e); }
  // Let the server end the stream with its final `done` message; cut it ourselves only if that does not come soon.
  for (let waited = 0; state.gen === gen && waited < 1500; waited += 50) await new Promise((r) => setTimeout(r, 50));
  if (state.gen === gen) gen.controller.abort();
  el.stop.disabled = false;
}

// ---------------------------------------------------------------- composer

function autoGrow(area, max = 240) {
  area.style.height = 'auto';
  area.style.height = `${Math.min(area.scrollHeight, max)}px`;
  area.style.overflowY = area.scrollHeight > max ? 'auto' : 'hidden';
}

function updateComposer() {
  const generating = !!state.gen;
  el.send.hidden = generating;
  el.stop.hidden = !generating;
  el.send.disabled = generating || !el.input.value.trim();
}

el.input.addEventListener('input', () => { autoGrow(el.input); updateComposer(); });
el.input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    el.composer.requestSubmit();
  }
});
el.composer.addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = el.input.value.trim();
  if (!text || state.gen) return;
  el.input.value = '';
  autoGrow(el.input);
  updateComposer();
  const sent = await send(text);
  if (sent === false && !el.input.value) { // nothing was stored: give the text back
    el.input.value = text;
    autoGrow(el.input);
    updateComposer();
  }
});
el.stop.addEventListener('click', stopGeneration);
el.newChat.addEventListener('click', newChat);
el.bannerClose.addEventListener('click', hideError);

// ---------------------------------------------------------------- sidebar (drawer on small screens)

// Must match the @media width in app.css where the sidebar becomes a drawer.
const narrowScreen = window.matchMedia('(max-width: 820px)');

/**
 * A closed drawer is only moved off-screen, so it is made inert: out of the Tab order and of what screen readers read.
 * An open one is modal: the page behind the scrim is inert instead.
 */
function syncSidebar() {
  const drawer = narrowScreen.matches;
  const open = el.app.dataset.sidebar === 'open';
  el.sidebar.inert = drawer && !open;
  el.main.inert = drawer && open;
}

function openSidebar() {
  el.app.dataset.sidebar = 'open';
  el.scrim.hidden = false;
  el.menuBtn.setAttribute('aria-expanded', 'true');
  syncSidebar();
  el.newChat.focus();
}

/** returnFocus: back to the menu button (Esc, the close button, the scrim); otherwise the caller moves focus. */
function closeSidebar(returnFocus = false) {
  if (el.app.dataset.sidebar !== 'open') return;
  el.app.dataset.sidebar = 'closed';
  el.scrim.hidden = true;
  el.menuBtn.setAttribute('aria-expanded', 'false');
  syncSidebar();
  if (returnFocus && narrowScreen.matches) el.menuBtn.focus();
}
el.menuBtn.addEventListener('click', openSidebar);
el.sidebarClose.addEventListener('click', () => closeSidebar(true));
el.scrim.addEventListener('click', () => closeSidebar(true));
document.addEventListener('keydown', (e) => { if (e.key === 'Escape') closeSidebar(true); });
narrowScreen.addEventListener('change', () => { closeSidebar(); syncSidebar(); });
syncSidebar();

// ---------------------------------------------------------------- memory

/** "Used 2 memories" under an answer: the memories its prompt contained (fetched when opened, if not streamed). */
function memoriesUsedView(m) {
  const details = document.createElement('details');
  details.className = 'memories-used';
  details.dataset.testid = 'memories-used';
  const summary = document.createElement('summary');
  const list = document.createElement('ul');
  const fill = (memories) => {
    m.memories = memories;
    summary.textContent = memories.length === 0 ? 'No memories used' : `Used ${memories.length} memor${memories.length === 1 ? 'y' : 'ies'}`;
    list.replaceChildren(...memories.map((x) => {
      const li = document.createElement('li');
      li.textContent = x.text;
      return li;
    }));
  };
  summary.textContent = 'Memories used';
  details.append(summary, list);
  if (m.memories) fill(m.memories);
  details.addEventListener('toggle', () => {
    if (details.open && !m.memories) api.memoriesUsed(m.id).then(fill).catch(reportError);
  });
  return details;
}

/** "What is right?" under a wrong answer: saved as a correction memory and a weighted training example. */
function correctionForm(m, article) {
  article.querySelector('.correction-form')?.remove();
  const form = document.createElement('form');
  form.className = 'correction-form';
  const area = document.createElement('textarea');
  area.rows = 2;
  area.maxLength = 2000;
  area.placeholder = 'What is right? e.g. “My sister is called Mia, not Lea.”';
  area.dataset.testid = 'correction-input';
  area.setAttribute('aria-label', 'Correction');
  const save = button('Save correction', 'btn primary small', null, 'correction-save');
  save.type = 'submit';
  const cancel = button('Cancel', 'btn small', () => form.remove());
  form.append(area, save, cancel);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!area.value.trim()) return;
    try {
      await api.correct(m.id, area.value.trim());
      const note = document.createElement('p');
      note.className = 'message-note';
      note.dataset.testid = 'correction-saved';
      note.textContent = 'Thanks — Lifelong will use this from the next answer on.';
      form.replaceWith(note);
      succeed('Correction saved.');
    } catch (err) { reportError(err); }
  });
  setTimeout(() => area.focus());
  return form;
}

let memorySearchTimer = 0;

async function openMemory() {
  closeSidebar(true); // the dialog gives focus back to the menu button when it closes
  openDialog(el.memoryDialog);
  const settings = await api.settings();
  el.memoryLearn.checked = settings.memoryExtraction;
  await renderMemories();
  el.memoryAddInput.focus();
}

async function renderMemories() {
  const q = el.memorySearch.value.trim();
  const items = q ? (await api.searchMemories(q)).map((r) => r.memory) : await api.memories();
  el.memoryEmpty.hidden = items.length > 0;
  el.memoryEmpty.textContent = q ? 'No memory matches.' : 'Nothing remembered yet.';
  el.memoryList.replaceChildren(...items.map(memoryItem));
}

function memoryItem(mem) {
  const li = document.createElement('li');
  li.className = 'memory-item';
  li.dataset.testid = 'memory-item';
  li.dataset.memoryId = String(mem.id);
  const kind = document.createElement('span');
  kind.className = `memory-kind ${mem.kind}`;
  kind.textContent = mem.kind;
  const text = document.createElement('span');
  text.className = 'memory-text';
  text.dataset.testid = 'memory-text';
  text.textContent = mem.text;
  const act = async (work, message) => {
    try { await work(); await renderMemories(); succeed(message); } catch (e) { reportError(e); }
  };
  const pin = button(mem.pinned ? 'Unpin' : 'Pin', `btn small${mem.pinned ? ' pinned' : ''}`,
    () => act(() => api.editMemory(mem.id, { pinned: !mem.pinned }), mem.pinned ? 'Unpinned.' : 'Pinned: used in every answer.'), 'memory-pin');
  pin.setAttribute('aria-pressed', String(mem.pinned));
  const edit = button('Edit', 'btn small', () => {
    const input = document.createElement('input');
    input.type = 'text';
    input.value = mem.text;
    input.maxLength = 2000;
    input.dataset.testid = 'memory-edit-input';
    input.setAttribute('aria-label', 'Memory text');
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); act(() => api.editMemory(mem.id, { text: input.value }), 'Memory updated.'); }
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); renderMemories().catch(reportError); }
    });
    text.replaceWith(input);
    input.focus();
  }, 'memory-edit');
  const del = button('Delete', 'btn small', () => act(() => api.deleteMemory(mem.id), 'Memory deleted.'), 'memory-delete');
  const forget = button('Forget', 'btn small danger', async () => {
    const yes = await confirmDialog('Forget this memory?',
      `“${mem.text}” will be erased, and the conversation it came from will not be used for training.`, 'Forget');
    if (yes) await act(() => api.forgetMemory(mem.id), 'Memory forgotten.');
  }, 'memory-forget');
  const actions = document.createElement('span');
  actions.className = 'memory-actions';
  actions.append(pin, edit, del, forget);
  li.append(kind, text, actions);
  return li;
}

async function renderHistory() {
  const q = el.historySearch.value.trim();
  if (!q) { el.historyResults.replaceChildren(); return; }
  const hits = await api.searchHistory(q);
  el.historyResults.replaceChildren(...hits.map((h) => {
    const li = document.createElement('li');
    li.className = 'memory-item history-hit';
    li.dataset.testid = 'history-hit';
    const link = document.createElement('a');
    link.href = `#c${h.message.conversationId}`;
    link.textContent = h.conversationTitle || 'New chat';
    link.addEventListener('click', () => el.memoryDialog.close());
    const snippet = document.createElement('span');
    snippet.className = 'memory-text';
    snippet.textContent = `${h.message.role === 'user' ? 'You' : 'Lifelong'}: ${h.snippet}`;
    li.append(link, snippet);
    return li;
  }));
  if (!hits.length) {
    const li = document.createElement('li');
    li.className = 'empty-list';
    li.textContent = 'No message matches.';
    el.historyResults.append(li);
  }
}

el.memoryOpen.addEventListener('click', () => openMemory().catch(reportError));
el.memoryLearn.addEventListener('change', async () => {
  try {
    const saved = await api.saveSettings({ memoryExtraction: el.memoryLearn.checked });
    el.memoryLearn.checked = saved.memoryExtraction;
    succeed(saved.memoryExtraction ? 'Lifelong will learn memories from your chats.' : 'Lifelong will not learn memories from your chats.');
  } catch (e) { el.memoryLearn.checked = !el.memoryLearn.checked; reportError(e); }
});
el.memoryClose.addEventListener('click', () => el.memoryDialog.close());
el.memoryAddForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = el.memoryAddInput.value.trim();
  if (!text) return;
  try {
    await api.addMemory(text, el.memoryAddKind.value);
    el.memoryAddInput.value = '';
    el.memorySearch.value = '';
    await renderMemories();
    succeed('Memory added.');
  } catch (err) { reportError(err); }
});
el.memorySearch.addEventListener('input', () => {
  clearTimeout(memorySearchTimer);
  memorySearchTimer = setTimeout(() => renderMemories().catch(reportError), 200);
});
el.historySearch.addEventListener('input', () => {
  clearTimeout(memorySearchTimer);
  memorySearchTimer = setTimeout(() => renderHistory().catch(reportError), 200);
});

// ---------------------------------------------------------------- ratings and private conversations

async function rate(m, rating, btn) {
  try {
    await api.rate(m.id, rating);
    btn.classList.add('done');
    btn.setAttribute('aria-pressed', 'true');
    succeed(rating === 'up' ? 'Thanks: marked as a good answer.' : 'Marked as a bad answer: it will not be used for training.');
  } catch (e) { reportError(e); }
}

function showPrivate() {
  const conv = state.conversations.find((c) => c.id === state.currentId);
  el.privateLabel.hidden = !conv;
  el.privateToggle.checked = Boolean(conv && conv.private);
}

el.privateToggle.addEventListener('change', async () => {
  const id = state.currentId;
  if (!id) return;
  try {
    const updated = await api.setPrivate(id, el.privateToggle.checked);
    const conv = state.conversations.find((c) => c.id === id);
    if (conv) conv.private = updated.private;
    succeed(updated.private ? 'Private: this conversation will never be used for training.' : 'This conversation may be used for training.');
  } catch (e) { el.privateToggle.checked = !el.privateToggle.checked; reportError(e); }
});

// ---------------------------------------------------------------- your model

let progressStream = null;

const pct = (x) => (x === null || x === undefined || Number.isNaN(x)) ? '–' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;

/** What a chart shows, in words: its lines are not read out. */
function chartSummary(title, series, xLabels, format) {
  const at = (i) => (xLabels ? xLabels[i] : `step ${i + 1}`);
  const lines = series.map((s) => {
    const points = s.values.map((v, i) => [v, i]).filter(([v]) => v !== null && Number.isFinite(v));
    if (!points.length) return `${s.name}: no values`;
    const [[first, i0], [last, i1]] = [points[0], points[points.length - 1]];
    if (points.length === 1) return `${s.name}: ${format(first)} at ${at(i0)}`;
    const values = points.map(([v]) => v);
    return `${s.name}: ${points.length} values, ${format(first)} at ${at(i0)} to ${format(last)} at ${at(i1)}`
      + ` (lowest ${format(Math.min(...values))}, highest ${format(Math.max(...values))})`;
  });
  return `${title}. ${lines.join('; ')}.`;
}

/** A small SVG line chart: series = [{name, values, className}], x = index. */
function lineChart(container, series, { yLabel = '', xLabels = null, format = (v) => v.toPrecision(3) } = {}) {
  const all = series.flatMap((s) => s.values.filter((v) => v !== null && Number.isFinite(v)));
  container.replaceChildren();
  if (!all.length) return;
  const W = 560, H = 150, L = 44, R = 8, T = 10, B = 22;
  let lo = Math.min(...all), hi = Math.max(...all);
  if (hi === lo) { hi += 1e-3; lo -= 1e-3; }
  const n = Math.max(...series.map((s) => s.values.length));
  const x = (i) => L + (n <= 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
  const y = (v) => T + ((hi - v) * (H - T - B)) / (hi - lo);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', chartSummary(container.dataset.title || 'Chart', series, xLabels, format));
  const add = (tag, attrs, text) => {
    const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  add('line', { x1: L, y1: H - B, x2: W - R, y2: H - B, class: 'axis' });
  add('text', { x: 2, y: T + 8, class: 'tick' }, hi.toPrecision(3));
  add('text', { x: 2, y: H - B, class: 'tick' }, lo.toPrecision(3));
  if (yLabel) add('text', { x: L, y: H - 4, class: 'tick' }, yLabel);
  if (xLabels) xLabels.forEach((l, i) => add('text', { x: x(i) - 6, y: H - 8, class: 'tick' }, l));
  series.forEach((s) => {
    const pts = s.values.map((v, i) => (v === null || !Number.isFinite(v) ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter(Boolean);
    if (pts.length > 1) add('polyline', { points: pts.join(' '), class: `series ${s.className}` });
    pts.forEach((p) => { const [cx, cy] = p.split(','); add('circle', { cx, cy, r: pts.length > 40 ? 0 : 2.5, class: `series ${s.className}` }); });
  });
  container.append(svg);
  if (series.length > 1) {
    const legend = document.createElement('p');
    legend.className = 'legend';
    series.forEach((s) => { const k = document.createElement('span'); k.className = `key ${s.className}`; k.textContent = s.name; legend.append(k); });
    container.append(legend);
  }
}

async function openModel() {
  closeSidebar(true);
  openDialog(el.modelDialog);
  await renderModel();
  followProgress();
}

async function renderModel() {
  const o = await api.adapters();
  el.modelServing.textContent = o.serving
    ? `Answering with your adapter v${o.serving.version} (trained ${new Date(o.serving.createdAt).toLocaleString()}).`
    : 'Answering with the base model: no adapter of yours is serving.';
  el.serveBase.disabled = !o.serving;
  if (document.activeElement !== el.updateWindow) el.updateWindow.value = o.updateWindow;
  const versions = o.versions;
  el.versionsEmpty.hidden = versions.length > 0;
  el.versionsBody.replaceChildren(...versions.map((v) => {
    const tr = document.createElement('tr');
    tr.dataset.testid = 'version-row';
    const r = v.report || {};
    const cells = [`v${v.version}${v.serving ? ' ●' : ''}`, v.state, pct(r.plasticity), pct(r.stability), pct(r.general),
      String(r.replay ? r.replay.count : 0), String(r.dataset ? r.dataset.training_examples : 0)];
    cells.forEach((c) => { const td = document.createElement('td'); td.textContent = c; tr.append(td); });
    const td = document.createElement('td');
    if (v.state === 'promoted' && v.hasFile && !v.serving) {
      td.append(button('Use this', 'btn small', async () => {
        try { await api.serveVersion(v.id); await renderModel(); succeed(`Answering with v${v.version} now.`); } catch (e) { reportError(e); }
      }, 'serve-version'));
    }
    tr.append(td);
    tr.title = v.reason;
    return tr;
  }));
  const ordered = [...versions].reverse();
  lineChart(el.versionChart, [
    { name: 'learned (new chats)', values: ordered.map((v) => v.report?.plasticity ?? null), className: 's1' },
    { name: 'forgot (earlier chats)', values: ordered.map((v) => v.report?.stability ?? null), className: 's2' },
    { name: 'general probe vs base', values: ordered.map((v) => v.report?.general ?? null), className: 's3' },
  ], { xLabels: ordered.map((v) => `v${v.version}`), format: pct });
  const latest = versions[0];
  el.runFacts.replaceChildren();
  el.lossChart.replaceChildren();
  if (latest) {
    lineChart(el.lossChart, [{ name: 'loss', values: latest.report?.training?.lossHistory || [], className: 's1' }], { yLabel: 'loss per step' });
    const d = latest.report?.dataset || {};
    const facts = [
      latest.report?.plainSummary || `v${latest.version} ${latest.reason}`,
      `The gate's figures for v${latest.version}: ${latest.reason}`,
      `New: ${d.kept_turns ?? 0} chat turns, ${d.corrections ?? 0} corrections (weighted ×3), ${d.facts ?? 0} facts from memory`
        + ` (taught in ${d.fact_variants ?? 0} wordings); ${d.replayed ?? 0} earlier examples replayed, ${d.self_replay ?? 0} of its own general answers`
        + (latest.report?.replay?.perMonth ? ` (${Object.entries(latest.report.replay.perMonth).map(([m, k]) => `${m}: ${k}`).join(', ')})` : '') + '.',
      `Left out: ${d.excluded_private_conversation ?? 0} private, ${d.excluded_deleted_or_forgotten_memory ?? 0} forgotten, ${d.excluded_error_or_empty_answer ?? 0} failed or empty, `
        + `${d.excluded_rated_down ?? 0} rated down, ${d.excluded_near_duplicate ?? 0} near-duplicates.`,
    ];
    facts.forEach((t) => { const li = document.createElement('li'); li.textContent = t; el.runFacts.append(li); });
  }
  el.jobsList.replaceChildren(...o.jobs.slice(0, 8).map((j) => {
    const li = document.createElement('li');
    li.className = 'memory-item';
    li.dataset.testid = 'job-item';
    li.textContent = `#${j.id} ${j.origin} — ${j.state}${j.phase && j.state === 'running' ? ` (${j.phase})` : ''}`
      + (j.error ? ` — ${j.error}` : '') + (j.attempts > 1 ? ` — attempt ${j.attempts}` : '');
    return li;
  }));
  if (o.progress) showProgress(o.progress);
}

function showProgress(p) {
  if (!p) return;
  el.trainProgress.hidden = false;
  const running = p.state === 'running' || p.state === 'queued';
  el.trainNow.disabled = running;
  let text;
  if (p.state === 'succeeded') text = `Finished: ${p.message || 'done'}`;
  else if (p.state === 'failed') text = `Failed: ${p.message}`;
  else if (p.state === 'retrying') text = `Failed, will retry: ${p.message}`;
  else if (p.phase === 'training' && p.totalSteps) {
    const eta = p.etaSeconds >= 0 ? `, about ${Math.max(1, Math.round(p.etaSeconds))} s left` : '';
    text = `Training: step ${p.step} of ${p.totalSteps}, loss ${p.loss.toFixed(3)}${eta}`;
  } else if (p.phase === 'evaluating' && p.totalSteps) {
    text = `Checking what it learned and forgot: ${Math.floor((100 * p.step) / p.totalSteps)}%`;
  } else text = `${p.state === 'queued' ? 'Queued' : 'Working'}: ${p.phase}…`;
  el.trainPhase.textContent = text;
  el.trainBar.value = p.totalSteps ? p.step / p.totalSteps : (p.state === 'succeeded' ? 1 : 0);
  lineChart(el.liveLoss, [{ name: 'loss', values: p.losses || [], className: 's1' }], { yLabel: 'loss per step' });
}

async function followProgress() {
  if (progressStream) return;
  const controller = new AbortController();
  progressStream = controller;
  try {
    const response = await fetch('/api/adapters/progress', { signal: controller.signal });
    if (!response.ok) throw await apiErrorFrom(response); // e.g. 429: too many progress streams open
    for await (const ev of readEventStream(response.body)) {
      if (ev.event !== 'progress' || ev.data === 'null') continue;
      const p = JSON.parse(ev.data);
      showProgress(p);
      if (['succeeded', 'failed', 'retrying'].includes(p.state)) await renderModel();
    }
  } catch (e) {
    if (e.name !== 'AbortError') reportError(e);
  } finally {
    progressStream = null;
  }
}

el.modelSettings.addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    await api.adapterSettings(el.updateWindow.value.trim());
    const { deleted } = await api.prune(Number(el.keepVersions.value));
    await renderModel();
    succeed(deleted ? `Settings applied; ${deleted} old adapter file(s) deleted.` : 'Settings applied.');
  } catch (err) { reportError(err); }
});
el.modelOpen.addEventListener('click', () => openModel().catch(reportError));
el.modelClose.addEventListener('click', () => el.modelDialog.close());
el.modelDialog.addEventListener('close', () => { if (progressStream) progressStream.abort(); });
el.trainNow.addEventListener('click', async () => {
  try {
    const job = await api.trainNow();
    showProgress({ state: job.state, phase: job.phase || 'queued', step: 0, totalSteps: 0, losses: [] });
    succeed('Training started.');
    followProgress();
  } catch (e) { reportError(e); }
});
/** Downloads the personal model bundle with a progress bar (the body is read as a stream to count bytes). */
async function exportModel() {
  const bar = $('export-bar');
  const status = $('export-status');
  $('export-model').disabled = true;
  bar.hidden = false;
  bar.removeAttribute('value'); // indeterminate while the server packs the bundle
  status.textContent = 'Packing…';
  try {
    const response = await request('GET', '/api/export', undefined, { raw: true });
    const total = Number(response.headers.get('Content-Length')) || 0;
    const reader = response.body.getReader();
    const chunks = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      if (total) { bar.value = received / total; status.textContent = `${Math.round((100 * received) / total)}%`; }
    }
    const name = (/filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '') || [])[1] || 'lifelong-model.zip';
    const url = URL.createObjectURL(new Blob(chunks, { type: 'application/zip' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    bar.value = 1;
    status.textContent = `Saved ${name} (${(received / 1e6).toFixed(1)} MB)`;
    succeed('');
  } catch (e) {
    status.textContent = '';
    reportError(e);
  } finally {
    $('export-model').disabled = false;
  }
}
$('export-model').addEventListener('click', () => exportModel());

el.serveBase.addEventListener('click', async () => {
  try { await api.serveBase(); await renderModel(); succeed('Answering with the base model now.'); } catch (e) { reportError(e); }
});

// ---------------------------------------------------------------- start

// ---------------------------------------------------------------- accounts

function showLogin(setupNeeded) {
  el.app.hidden = true;
  el.loginScreen.hidden = false;
  if (setupNeeded !== undefined) el.loginSetup.hidden = !setupNeeded;
  el.loginName.focus();
}

function signedIn(me) {
  state.me = me;
  el.loginScreen.hidden = true;
  el.loginError.hidden = true;
  el.app.hidden = false;
  el.accountName.textContent = `Account (${me.user.name})`;
}

/** Signs in from the first-visit link (#login-key=…), or finds the session; false when the login screen is up. */
async function authenticate() {
  const key = (/^#login-key=([A-Za-z0-9_-]+)$/.exec(location.hash) || [])[1];
  const status = await api.authStatus();
  if (key) {
    history.replaceState(null, '', location.pathname + location.search); // the key leaves the address bar
    try {
      if (await confirmKeyLink(key, status)) { signedIn(await api.loginWithKey(key)); return true; }
    } catch (e) { showLoginError(e); }
  }
  if (status.signedIn) { signedIn(status); return true; }
  showLogin(status.setupNeeded);
  return false;
}

/**
 * A link can carry anybody's key: a page that sends you one would sign your browser into its account, and your next
 * chats would be its to read. So the link never replaces the account you are signed in with, and signs you in at all
 * only after you confirmed whose account it is, unless this is the first visit (the owner has no password yet).
 */
async function confirmKeyLink(key, status) {
  const owner = (await api.keyOwner(key)).user;
  if (status.signedIn && status.user.id === owner.id) return false; // already that account
  if (!status.signedIn && status.setupNeeded && owner.role === 'owner') return true; // the link serve printed
  const text = status.signedIn
    ? `The link you opened would sign this browser in as “${owner.name}” instead of “${status.user.name}”. Chats you `
      + `have from then on would belong to “${owner.name}”. Only switch if you trust whoever gave you this link.`
    : `The link you opened signs this browser in as “${owner.name}”. Chats you have from then on belong to that account. `
      + 'Only continue if it is yours.';
  return confirmDialog(status.signedIn ? 'Switch account?' : 'Sign in from a link?', text,
    status.signedIn ? `Switch to ${owner.name}` : `Sign in as ${owner.name}`);
}

function showLoginError(e) {
  el.loginError.textContent = e.message;
  el.loginError.hidden = false;
}

async function afterLogin(me) {
  signedIn(me);
  el.loginPassword.value = '';
  el.loginKey.value = '';
  await startApp();
}

el.loginForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  try { await afterLogin(await api.login(el.loginName.value.trim(), el.loginPassword.value)); } catch (err) { showLoginError(err); }
});
el.loginKeyForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  try { await afterLogin(await api.loginWithKey(el.loginKey.value.trim())); } catch (err) { showLoginError(err); }
});

async function openAccount() {
  closeSidebar(true);
  el.keySecret.hidden = true;
  el.userSecret.hidden = true;
  await renderAccount();
  openDialog(el.accountDialog);
}

async function renderAccount() {
  const status = await api.authStatus();
  if (!status.signedIn) { showLogin(status.setupNeeded); return; }
  state.me = status;
  const u = status.user;
  el.accountWho.textContent = `Signed in as ${u.name} (${u.role}).`;
  el.passwordUsername.value = u.name;
  el.accountNoPassword.hidden = u.hasPassword;
  el.passwordCurrentLabel.hidden = !u.hasPassword;
  const keys = await api.keys();
  el.keyList.replaceChildren(...keys.map((k) => {
    const li = document.createElement('li');
    li.className = 'memory-item';
    li.dataset.testid = 'key-item';
    const text = document.createElement('span');
    const used = k.lastUsedAt ? `last used ${new Date(k.lastUsedAt).toLocaleString()}` : 'never used';
    text.textContent = `${k.name} — ${k.prefix}… — ${k.revokedAt ? 'revoked' : used}`;
    li.append(text);
    if (!k.revokedAt) {
      const mem = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = k.memory;
      box.addEventListener('change', () => api.keyMemory(k.id, box.checked)
        .then(() => succeed(box.checked ? `“${k.name}” uses your memory.` : `“${k.name}” neither uses nor feeds your memory.`))
        .catch((e) => { box.checked = !box.checked; reportError(e); }));
      mem.append(box, ' memory');
      const revoke = document.createElement('button');
      revoke.className = 'btn small danger';
      revoke.type = 'button';
      revoke.textContent = 'Revoke';
      revoke.dataset.testid = 'key-revoke';
      revoke.addEventListener('click', async () => {
        try { await api.revokeKey(k.id); await renderAccount(); succeed(`“${k.name}” revoked.`); } catch (e) { reportError(e); }
      });
      li.append(' ', mem, ' ', revoke);
    }
    return li;
  }));
  el.usersSection.hidden = u.role !== 'owner';
  if (u.role === 'owner') {
    const users = await api.users();
    el.userList.replaceChildren(...users.map((x) => {
      const li = document.createElement('li');
      li.className = 'memory-item';
      li.dataset.testid = 'user-item';
      const text = document.createElement('span');
      text.textContent = `${x.name} (${x.role}${x.hasPassword ? '' : ', no password'})`;
      li.append(text);
      if (x.role !== 'owner') {
        const remove = document.createElement('button');
        remove.className = 'btn small danger';
        remove.type = 'button';
        remove.textContent = 'Remove';
        remove.dataset.testid = 'user-remove';
        remove.addEventListener('click', async () => {
          if (!window.confirm(`Remove ${x.name} with all their conversations, memories and models?`)) return;
          try { await api.removeUser(x.id); await renderAccount(); succeed(`${x.name} removed.`); } catch (e) { reportError(e); }
        });
        li.append(' ', remove);
      }
      return li;
    }));
  }
}

el.accountOpen.addEventListener('click', () => openAccount().catch(reportError));
el.accountClose.addEventListener('click', () => el.accountDialog.close());
el.passwordForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const first = !state.me?.user?.hasPassword;
    await api.changePassword(el.passwordCurrent.value, el.passwordNew.value);
    el.passwordCurrent.value = '';
    el.passwordNew.value = '';
    await renderAccount();
    succeed(first ? 'Password set. Sign in with your name and password from now on; your old API keys no longer work.'
      : 'Password changed. Other sessions were signed out and your API keys revoked.');
  } catch (err) { reportError(err); }
});
el.keyForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const k = await api.createKey(el.keyName.value.trim() || 'key', el.keyMemory.checked);
    el.keyName.value = '';
    await renderAccount();
    el.keySecretValue.textContent = k.secret;
    el.keySecret.hidden = false;
    succeed(`Key “${k.name}” created.`);
  } catch (err) { reportError(err); }
});
el.userForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const created = await api.addUser(el.userName.value.trim(), el.userPassword.value || undefined);
    el.userName.value = '';
    el.userPassword.value = '';
    await renderAccount();
    el.userSecretLabel.textContent = `${created.name}'s API key (shown once; they can also sign in with it):`;
    el.userSecretValue.textContent = created.apiKey;
    el.userSecret.hidden = false;
    succeed(`${created.name} added.`);
  } catch (err) { reportError(err); }
});
el.keyCopy.addEventListener('click', () => copySecret(el.keySecretValue, el.keyCopy));
el.userCopy.addEventListener('click', () => copySecret(el.userSecretValue, el.userCopy));
el.logout.addEventListener('click', async () => {
  try { await api.logout(); } catch { /* signed out anyway */ }
  state.me = null;
  el.accountDialog.close();
  location.reload();
});

async function start() {
  setupMarkdown();
  updateComposer();
  renderMessages();
  try {
    if (!(await authenticate())) return;
  } catch (e) {
    el.chat.hidden = false;
    reportError(e);
    return;
  }
  await startApp();
}

async function startApp() {
  try {
    await Promise.all([refreshStatus(), loadConversations()]);
    await openFromUrl();
  } catch (e) {
    el.chat.hidden = false; // e.g. server down: show the chat with the banner rather than nothing
    reportError(e);
  }
}

async function openFromUrl() {
  const fromUrl = Number((/^#c(\d+)$/.exec(location.hash) || [])[1]);
  if (fromUrl && state.conversations.some((c) => c.id === fromUrl)) await selectConversation(fromUrl);
}
window.addEventListener('hashchange', () => {
  // the first-visit link pasted into a tab that already shows Lifelong changes only the fragment: sign in from it
  if (/^#login-key=/.test(location.hash)) {
    authenticate().then((ok) => (ok ? startApp() : null)).catch(reportError);
    return;
  }
  openFromUrl().catch(reportError);
});

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
