// Image Space UI. Every user string reaches the page through textContent or attributes (never innerHTML), so file
// names and error messages cannot inject markup. All image maths runs on the server through the one Pipeline.
'use strict';

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';

const app = {
  state: null,        // /api/state
  recipe: null,       // the recipe being edited (server keeps the authoritative copy)
  dataset: null,
  files: [],          // flat list in display order: {path, name, group}
  current: null,      // selected file path
  fullSize: null,     // [w, h] full-resolution pixels of the current file
  chart: null,        // {corners: [[x,y]×4], patches, calibration, manual}
  mode: null,         // null | 'crop' | 'corners' | 'wb-pick' | 'base-rect'
  chartBusy: 0,       // chart measurements in flight (tests wait on it)
  chartMeasured: 0,   // chart measurements answered (tests wait on it)
  loupe: null,        // the magnifier: {x0, y0, n, zoom, point, ready} (full-resolution pixels x0.. x0+n shown)
  view: { scale: 1, x: 0, y: 0 },
  statuses: {},       // path -> 'done' | 'failed'
  renders: 0,         // previews shown (tests wait on it)
  syncing: false,     // a recipe update + render is in flight
  lastRenderMs: null,
};
window.imagespace = app;

// ---- helpers ------------------------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

async function api(method, url, body) {
  const r = await fetch(url, {
    // Every change is sent as JSON (the servers refuse anything else: a cross-site form could otherwise post here).
    method, headers: method === 'GET' ? {} : { 'Content-Type': 'application/json' },
    body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
  });
  if (!r.ok) {
    let msg = `${r.status}`, body = null;
    try { body = await r.json(); msg = body.error || msg; } catch { /* not JSON */ }
    throw Object.assign(new Error(msg), { status: r.status, body });
  }
  const type = r.headers.get('Content-Type') || '';
  return type.includes('json') ? r.json() : r;
}

let toastTimer;
function toast(msg, isError = false) {
  const t = $('toast');
  t.textContent = msg;
  t.className = 'show' + (isError ? ' error' : '');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.className = ''; }, isError ? 6000 : 2500);
}

function guard(fn) {
  return async (...args) => {
    try { await fn(...args); } catch (e) { toast(e.message, true); }
  };
}

const enc = encodeURIComponent;

// ---- recipe sync: slider moves coalesce so at most one update+render is in flight -------------------------------

let syncBusy = false, syncAgain = false;
async function pushRecipe() {
  noteChange();
  app.changeAt ??= performance.now();
  if (syncBusy) { syncAgain = true; return; }
  syncBusy = app.syncing = true;
  try {
    do {
      syncAgain = false;
      await api('PUT', '/api/recipe', app.recipe);
      await renderPreview();
    } while (syncAgain);
  } catch (e) {
    toast(e.message, true);
    // The server kept its recipe: show that one again rather than a refused edit.
    try { adopt((await api('GET', '/api/state')).recipe); syncControls(); drawOverlay(); } catch { /* the toast says enough */ }
  }
  finally { syncBusy = app.syncing = false; }
  schedulePlan();
}

// ---- undo: the recipe before each change (a slider drag is one change) ------------------------------------------

const undo = { stack: [], committed: null, last: 0, source: '', lastKey: null };
// What the user is acting on (the control pressed, typed in or dragged): changes merge into one step only while it
// and the image stay the same, so a paste or a switch to another image right after a drag is a step of its own.
for (const type of ['pointerdown', 'keydown', 'input'])
  document.addEventListener(type, e => { undo.source = e.target?.id || e.target?.className || ''; }, true);

/** A recipe from the server (opened folder, assigned chart, loaded project): the state later undos go back to. */
function adopt(recipe) {
  app.recipe = recipe;
  undo.committed = JSON.stringify(recipe);
}

/** Records the state before this change; changes less than 0.8 s apart on the same control and image (one drag,
 * typing) are one step. */
function noteChange() {
  const now = performance.now(), cur = JSON.stringify(app.recipe), key = `${undo.source}|${app.current ?? ''}`;
  if (cur === undo.committed) return;
  if (undo.committed !== null && (now - undo.last > 800 || key !== undo.lastKey || !undo.stack.length)) {
    undo.stack.push({ recipe: undo.committed, image: imageKey() }); // the image the change now starting is made on
    if (undo.stack.length > 100) undo.stack.shift();
  }
  undo.committed = cur;
  undo.last = now;
  undo.lastKey = key;
}

function undoLast() {
  if (!undo.stack.length) { toast('nothing to undo'); return; }
  const step = undo.stack.pop();
  adopt(JSON.parse(step.recipe));
  undo.last = 0;
  undo.lastKey = null;
  syncControls(); drawOverlay(); refreshFileClasses();
  pushRecipe();
  // Undo goes back through changes on every image: say which image's change it was when it is not the one shown.
  toast(step.image && step.image !== imageKey() ? `undone: the last change, made on ${step.image}` : 'undone: the last change');
}

// ---- per-image adjustments: adjust.images[relative path] replaces the adjustments of all images for that image ----

/** The current image's key in adjust.images: its path relative to the opened folder (as exposure multipliers). */
function imageKey(path = app.current) { return app.files.find(f => f.path === path)?.name ?? null; }

/** The adjustments the controls edit: the current image's own, or those of all images. */
function editedAdjust() { return app.recipe.adjust.images?.[imageKey()] || app.recipe.adjust; }

/** Adjustments without the all-images parts (multipliers, per-image entries): what an image of its own holds. */
function ownCopy(a) { const c = structuredClone(a); delete c.images; delete c.exposureMultipliers; return c; }

function setOwn(on) {
  const key = imageKey();
  if (!key) return;
  app.recipe.adjust.images ??= {};
  if (on) app.recipe.adjust.images[key] = ownCopy(app.recipe.adjust);
  else delete app.recipe.adjust.images[key];
  syncControls(); drawOverlay(); refreshFileClasses(); pushRecipe();
}

function copySettings() {
  app.clipboard = ownCopy(editedAdjust());
  $('adjust-paste').disabled = false;
  toast(`settings of ${imageKey()} copied`);
}

function pasteSettings() {
  const key = imageKey();
  if (!app.clipboard || !key) return;
  app.recipe.adjust.images ??= {};
  app.recipe.adjust.images[key] = structuredClone(app.clipboard);
  syncControls(); drawOverlay(); refreshFileClasses(); pushRecipe();
  toast(`settings pasted on ${key}`);
}

// ---- dataset ------------------------------------------------------------------------------------------------

function showDataset(ds) {
  app.dataset = ds;
  app.files = [];
  const list = $('file-list');
  list.replaceChildren();
  $('folder-path').textContent = ds.root || '';
  $('empty').hidden = ds.groups.length > 0;
  const cals = app.state.calibrations || {};
  for (const g of ds.groups) {
    const head = el('h4', {}, g.display || g.name || '(root)');
    const cal = cals[g.name] || cals[''];
    if (cal) head.append(el('span', { class: `cal ${cal.quality?.grade ?? ''}`, title: `chart: ${cal.source}; ${cal.quality?.words ?? ''}` },
      `ΔE ${cal.deltaE.mean.toFixed(2)}${cals[g.name] ? '' : ' (global)'}${cal.quality?.grade === 'good' ? '' : ` · ${cal.quality?.grade === 'check' ? 'check' : 'poor'}`}`));
    const box = el('div', { class: 'group', 'data-group': g.name }, head);
    for (const f of g.files) {
      const item = { path: f.path, name: f.name, group: g.name };
      app.files.push(item);
      const row = el('div', { class: 'file', 'data-path': f.path, title: f.path, role: 'option', tabindex: '-1', 'aria-selected': 'false' },
        el('span', { class: 'ph' }), el('span', { class: 'name' }, ...breakable(f.name)), el('span', { class: 'own-badge', title: 'adjustments of its own' }, '✎'));
      row.addEventListener('click', () => { select(f.path); row.focus({ preventScroll: true }); });
      box.append(row);
    }
    list.append(box);
  }
  $('dataset-errors').replaceChildren(...(ds.errors || []).map(e => el('div', {}, e)));
  showNothingToOpen(ds);
  refreshFileClasses();
  loadThumbnails();
  if (!$('output').value && ds.root) $('output').value = ds.root.replace(/\/$/, '') + '/processed';
  if (!$('project-path').value && ds.root) $('project-path').value = ds.root.replace(/\/$/, '') + '/imagespace-project.json';
  if (app.files.length && !app.files.some(f => f.path === app.current)) select(app.files[0].path);
  showFallback();
  schedulePlan();
}

/** Buttons that act on the shown image: off while there is none. */
const PICTURE_BUTTONS = ['chart-detect', 'chart-crop', 'chart-manual', 'wb-pick', 'film-base-pick', 'fit', 'zoom-100']; // need the picture on screen
const IMAGE_BUTTONS = [...PICTURE_BUTTONS, 'chart-clear', 'normalise', 'roll-lock', 'adjust-copy', 'adjust-own'];

/** A folder with no image that can be opened: nothing of the previous folder stays (picture, histogram, status line,
 * zoom, chart), the viewer says why, and the buttons that need an image are off, saying so. */
function showNothingToOpen(ds) {
  const none = app.files.length === 0;
  for (const id of IMAGE_BUTTONS) $(id).disabled = none;
  $('viewer').classList.toggle('no-image', none);
  if (!none) { $('empty').textContent = 'Open a folder of RAW files (or JPEG/TIFF scans) to start.'; return; }
  previewSeq++; // an answer still on its way for the previous folder's image is not shown
  app.current = null;
  clearChart(); setMode(null);
  clearPicture();
  $('view-error').hidden = true;
  $('render-info').textContent = ''; $('render-info').title = '';
  $('zoom-readout').textContent = '';
  const n = (ds.errors || []).length;
  const why = n ? `none of the ${n} file(s) in this folder can be opened: the reasons are listed under the file list` : 'this folder holds no RAW files or JPEG/TIFF scans';
  $('empty').textContent = `No image to show: ${why}.`;
  $('status-line').textContent = `${ds.root || ''}: ${why}`;
  $('chart-status').textContent = 'No image to measure a chart on in this folder.';
}

/** A file name as text pieces with line-break chances after "_", "-", "/" and before the extension's ".": a long name
 * wraps between its parts ("objA_ / 0001.dng"), not inside a word. */
function breakable(name) {
  const parts = name.split(/(?<=[_\-/])|(?=\.[^.]*$)/);
  return parts.flatMap((p, i) => i ? [document.createElement('wbr'), p] : [p]);
}

function refreshFileClasses() {
  const cals = app.state.calibrations || {};
  const chartSources = new Set(Object.values(cals).map(c => c.source));
  for (const row of document.querySelectorAll('.file')) {
    const p = row.dataset.path;
    row.classList.toggle('selected', p === app.current);
    // One tab stop for the list: the selected row (↑/↓ move from it).
    row.tabIndex = p === app.current ? 0 : -1;
    row.setAttribute('aria-selected', String(p === app.current));
    row.classList.toggle('done', app.statuses[p] === 'done');
    row.classList.toggle('skipped', app.statuses[p] === 'skipped');
    row.title = app.statuses[p] === 'skipped' ? `${p} (kept: its output was already there)` : p;
    row.classList.toggle('failed', app.statuses[p] === 'failed');
    row.classList.toggle('chart', chartSources.has(p.split('/').pop()));
    row.classList.toggle('own', !!app.recipe?.adjust.images?.[imageKey(p)]);
  }
}

// Thumbnails are made by the server in the background; poll until each one exists.
async function loadThumbnails() {
  const pending = [...document.querySelectorAll('.file')].filter(r => r.querySelector('.ph'));
  for (let round = 0; round < 200 && pending.length; round++) {
    for (let i = pending.length - 1; i >= 0; i--) {
      const row = pending[i];
      let r;
      try { r = await fetch(`/api/thumb?file=${enc(row.dataset.path)}`); }
      catch { return; } // the server is gone (closed, restarted): nothing more will come; the page says so elsewhere
      if (r.status === 200) {
        const url = URL.createObjectURL(await r.blob());
        row.querySelector('.ph').replaceWith(el('img', { src: url, alt: '' }));
        pending.splice(i, 1);
      } else if (r.status >= 400) {
        // Not decodable: a red placeholder with the reason, and no more asking.
        let reason = `${r.status}`;
        try { reason = (await r.json()).error || reason; } catch { /* not JSON */ }
        const ph = row.querySelector('.ph');
        ph.classList.add('failed');
        ph.title = reason;
        row.classList.add('broken');
        pending.splice(i, 1);
      }
    }
    if (pending.length) await new Promise(res => setTimeout(res, 700));
  }
}

async function select(path) {
  if (!path) return;
  const changed = path !== app.current;
  app.current = path;
  refreshFileClasses();
  document.querySelector(`.file[data-path="${CSS.escape(path)}"]`)?.scrollIntoView({ block: 'nearest' });
  // Nothing of the previous image stays: its chart, the chart's result or error, its report, an error toast about it.
  if (changed) {
    clearChart(); setMode(null); syncControls(); drawOverlay();
    if ($('toast').classList.contains('error')) { clearTimeout(toastTimer); $('toast').className = ''; }
  }
  await renderPreview(changed);
}

/** Keeps keyboard focus on the selected row when moving from the list. */
function focusSelectedRow(ev) {
  if (ev.target.closest('#files')) document.querySelector('.file.selected')?.focus({ preventScroll: true });
}

function moveSelection(delta) {
  app.direction = delta;
  const i = app.files.findIndex(f => f.path === app.current);
  const next = app.files[Math.max(0, Math.min(app.files.length - 1, i + delta))];
  if (next) select(next.path);
}

// ---- preview ------------------------------------------------------------------------------------------------

let previewSeq = 0;
async function renderPreview(fit = false) {
  if (!app.current) return;
  const seq = ++previewSeq;
  const started = app.changeAt ?? performance.now();
  const spinner = setTimeout(() => { $('spinner').hidden = false; }, 120);
  try {
    const url = $('mask-view').checked
      ? `/api/exposure/mask?file=${enc(app.current)}`
      : `/api/preview?file=${enc(app.current)}&look=${lookParam()}`;
    const r = await fetch(url);
    if (!r.ok) { let m = `${r.status}`; try { m = (await r.json()).error; } catch { } throw new Error(m); }
    const blob = await r.blob();
    if (seq !== previewSeq) return; // a newer request owns the picture
    $('view-error').hidden = true;
    for (const id of PICTURE_BUTTONS) $(id).disabled = false;
    document.querySelector(`.file[data-path="${CSS.escape(app.current)}"]`)?.classList.remove('broken');
    const size = r.headers.get('X-Full-Size');
    if (size) app.fullSize = size.split('x').map(Number);
    const ms = r.headers.get('X-Render-Ms');
    app.lastRenderMs = ms ? Number(ms) : null;
    const warnings = (r.headers.get('X-Warning') || '').split(',').map(w => w.trim()).filter(Boolean).map(decodeURIComponent);
    const img = $('preview');
    const old = img.src;
    await new Promise((res, rej) => { img.onload = res; img.onerror = rej; img.src = URL.createObjectURL(blob); });
    $('nav-img').src = img.src;
    if (old.startsWith('blob:')) URL.revokeObjectURL(old);
    layoutStage();
    if (fit) { fitView(); schedulePrefetch(); }
    invalidateTiles();
    app.lastFromCache = r.headers.get('X-Base-Cached') === '1';
    // Histogram and clipping overlay after the picture is painted (a full read-back of its pixels; the picture is
    // what the user waits for), and not at all when a newer picture came meanwhile.
    requestAnimationFrame(() => setTimeout(() => { if (seq === previewSeq) analysePixels(img); }, 0));
    // The time the user waited (from the change to this picture), and the server's adjustments within it.
    app.changeAt = null;
    const waited = Math.round(performance.now() - started);
    $('render-info').textContent = `${img.naturalWidth}×${img.naturalHeight} of ${app.fullSize?.join('×') ?? '?'} · ${waited} ms`;
    // The readout may be cut to fit the toolbar: its tooltip holds the whole of it.
    // The server's own time and its parts (X-Timing: total=…;plan=…;decode=…;film=…;adjust=…;encode=…, ms).
    const serverMs = r.headers.get('X-Server-Ms');
    const parts = (r.headers.get('X-Timing') || '').split(';').map(kv => kv.split('=')).filter(([k, v]) => k && k !== 'total' && Number(v) >= 0.5)
      .map(([k, v]) => `${k} ${Math.round(Number(v))} ms`).join(', ');
    $('render-info').title = `${$('render-info').textContent}\npreview size of the full size; ${waited} ms from the change to this picture on screen` +
      (serverMs ? `, of which the server ${Math.round(Number(serverMs))} ms${parts ? ` (${parts})` : ''}` : ms ? `, of which the server's adjustments ${ms} ms` : '');
    $('status-line').textContent = warnings.join(' · ') || app.current;
    app.renders++;
    img.dataset.renders = String(app.renders);
  } catch (e) {
    if (seq === previewSeq) showPreviewError(e.message);
  } finally {
    clearTimeout(spinner);
    if (seq === previewSeq) $('spinner').hidden = true;
  }
}

/** Once an image is on screen and the user stays on it, the server prepares the next one in the list (the previous
 *  one after moving up), so going on with ↓/↑ finds it decoded. */
let prefetchTimer;
function schedulePrefetch() {
  clearTimeout(prefetchTimer);
  const from = app.current;
  prefetchTimer = setTimeout(() => {
    if (app.current !== from || app.syncing) return;
    const i = app.files.findIndex(f => f.path === from);
    const next = app.files[i + ((app.direction ?? 1) < 0 ? -1 : 1)] ?? app.files[i - 1];
    if (next) api('POST', '/api/prefetch', { path: next.path }).catch(() => { /* only a head start */ });
  }, 400);
}

/** No picture: the preview, the navigator, the tiles, the clipping overlay and the histogram go. */
function clearPicture() {
  const img = $('preview');
  if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
  img.removeAttribute('src');
  $('nav-img').removeAttribute('src');
  app.fullSize = null;
  invalidateTiles();
  $('navigator').hidden = true;
  $('clip-canvas').hidden = true;
  drawHistogram([0, 1, 2, 3].map(() => new Uint32Array(256)));
}

/** The picture could not be made: the previous one goes, the reason is shown on the viewer and the file is marked. */
function showPreviewError(message) {
  app.changeAt = null;
  clearPicture();
  $('overlay').replaceChildren();
  $('render-info').textContent = '';
  $('zoom-readout').textContent = '';
  $('view-error').textContent = message;
  $('view-error').hidden = false;
  // Nothing to place a chart, a corner or a white point on.
  for (const id of PICTURE_BUTTONS) $(id).disabled = true;
  setMode(null);
  $('status-line').textContent = message;
  document.querySelector(`.file[data-path="${CSS.escape(app.current)}"]`)?.classList.add('broken');
}

// The stage is sized in full-resolution pixels so overlay coordinates are the file's own; the view transform fits it.
function layoutStage() {
  const [w, h] = app.fullSize || [$('preview').naturalWidth, $('preview').naturalHeight];
  for (const e of [$('preview'), $('clip-canvas'), $('overlay'), $('tiles')]) { e.style.width = w + 'px'; e.style.height = h + 'px'; }
  $('overlay').setAttribute('viewBox', `0 0 ${w} ${h}`);
  $('overlay').setAttribute('width', w); $('overlay').setAttribute('height', h);
  applyView();
}

/** What the picture shows: the edit; or Before: the file as shot (nothing on), or with its chart calibration only. */
function lookParam() {
  if (!$('before').checked) return 'edit';
  return $('before-calibrated').checked ? 'calibration' : 'asshot';
}

function fitView() {
  const wrap = $('stage-wrap').getBoundingClientRect();
  const [w, h] = app.fullSize || [1, 1];
  const s = fitScale();
  app.view = { scale: s, x: (wrap.width - w * s) / 2, y: (wrap.height - h * s) / 2 };
  applyView();
}

const MAX_SCALE = 8; // 800 %: single pixels are squares of 8 screen pixels

/** The view kept on the image: an axis the image overflows cannot be panned past its edges; one it fits is centred. */
function clampView() {
  const v = app.view, wrap = $('stage-wrap').getBoundingClientRect();
  const [w, h] = app.fullSize || [1, 1];
  const fit = (pos, size, room) => size * v.scale <= room ? (room - size * v.scale) / 2 : Math.min(0, Math.max(room - size * v.scale, pos));
  v.x = fit(v.x, w, wrap.width);
  v.y = fit(v.y, h, wrap.height);
}

function applyView() {
  if (app.fullSize) clampView();
  const v = app.view;
  $('stage').style.transform = `translate(${v.x}px, ${v.y}px) scale(${v.scale})`;
  $('zoom-readout').textContent = app.fullSize ? `${Math.round(v.scale * 100)} %` : '';
  // Magnified past one pixel per screen pixel: show pixels as squares, not blurred.
  $('stage').classList.toggle('pixels', v.scale >= 2);
  if (app.chart?.manual) drawOverlay();
  drawNavigator();
  scheduleTiles();
}

/** Zooms to <scale> keeping the image point under the screen point (mx, my) (default: the view's centre) in place. */
function zoomTo(scale, mx, my) {
  const wrap = $('stage-wrap').getBoundingClientRect();
  mx ??= wrap.width / 2; my ??= wrap.height / 2;
  const v = app.view;
  const s = Math.max(fitScale() * 0.5, Math.min(MAX_SCALE, scale));
  app.view = { scale: s, x: mx - (mx - v.x) * s / v.scale, y: my - (my - v.y) * s / v.scale };
  applyView();
}

function fitScale() {
  const wrap = $('stage-wrap').getBoundingClientRect();
  const [w, h] = app.fullSize || [1, 1];
  return Math.min(wrap.width / w, wrap.height / h) * 0.96;
}

// ---- full-resolution tiles: what an export writes, for 1:1 and beyond ------------------------------------------

const TILE = 512;           // tile pixels across (the server's FullResolution.TileSize)
let tileGen = 0;            // bumped when the picture changes: tiles of an older one are dropped
let tileTimer;
app.tilesLoaded = 0;        // tiles shown (tests wait on it)
app.tilesPending = 0;

/** The preview's pixels per full-resolution pixel: beyond this zoom the preview would be magnified. */
function previewScale() { return app.fullSize ? $('preview').naturalWidth / app.fullSize[0] : 1; }

function invalidateTiles() { tileGen++; $('tiles').replaceChildren(); app.tilesPending = 0; scheduleTiles(); }

function scheduleTiles() { clearTimeout(tileTimer); tileTimer = setTimeout(updateTiles, 150); }

function tileLook() { return $('mask-view').checked ? null : lookParam(); }

function updateTiles() {
  const box = $('tiles');
  const v = app.view, look = tileLook();
  if (!app.current || !app.fullSize || look === null || v.scale <= previewScale() * 1.05) { box.replaceChildren(); return; }
  // Level L: 2^L full-resolution pixels per tile pixel, the coarsest that still has a pixel per screen pixel.
  const level = Math.max(0, Math.min(6, Math.floor(Math.log2(1 / v.scale))));
  const span = TILE << level;
  const wrap = $('stage-wrap').getBoundingClientRect();
  const [w, h] = app.fullSize;
  const x0 = Math.max(0, -v.x / v.scale), y0 = Math.max(0, -v.y / v.scale);
  const x1 = Math.min(w, (wrap.width - v.x) / v.scale), y1 = Math.min(h, (wrap.height - v.y) / v.scale);
  const wanted = new Set();
  for (let ty = Math.floor(y0 / span); ty * span < y1; ty++)
    for (let tx = Math.floor(x0 / span); tx * span < x1; tx++) wanted.add(`${level}/${tx}/${ty}`);
  for (const t of [...box.children]) if (!wanted.has(t.dataset.key)) t.remove();
  const have = new Set([...box.children].map(t => t.dataset.key));
  const gen = tileGen, file = app.current;
  for (const key of wanted) {
    if (have.has(key)) continue;
    const [, tx, ty] = key.split('/').map(Number);
    const img = el('img', { alt: '', draggable: 'false', 'data-key': key });
    Object.assign(img.style, { left: tx * span + 'px', top: ty * span + 'px', width: Math.min(span, w - tx * span) + 'px', height: Math.min(span, h - ty * span) + 'px', visibility: 'hidden' });
    app.tilesPending++;
    img.onload = () => { if (gen !== tileGen) return; app.tilesPending--; img.style.visibility = ''; app.tilesLoaded++; };
    img.onerror = () => { if (gen !== tileGen) return; app.tilesPending--; img.remove(); };
    img.src = `/api/tile?file=${enc(file)}&level=${level}&x=${tx}&y=${ty}&look=${look}&gen=${gen}`;
    box.append(img);
  }
}

// ---- navigator: where the view is on the whole picture ---------------------------------------------------------

function drawNavigator() {
  const nav = $('navigator');
  const v = app.view, wrap = $('stage-wrap').getBoundingClientRect();
  const [w, h] = app.fullSize || [1, 1];
  const overflowing = app.fullSize && (w * v.scale > wrap.width + 1 || h * v.scale > wrap.height + 1);
  nav.hidden = !overflowing;
  if (!overflowing) return;
  const nw = nav.clientWidth, nh = nw * h / w;
  nav.style.height = nh + 'px';
  const k = nw / w;
  Object.assign($('nav-rect').style, {
    left: Math.max(0, -v.x / v.scale * k) + 'px', top: Math.max(0, -v.y / v.scale * k) + 'px',
    width: Math.min(nw, wrap.width / v.scale * k) + 'px', height: Math.min(nh, wrap.height / v.scale * k) + 'px',
  });
}

function setupNavigator() {
  const nav = $('navigator');
  const centreOn = (ev) => {
    const r = nav.getBoundingClientRect(), wrap = $('stage-wrap').getBoundingClientRect();
    const [w] = app.fullSize;
    const k = r.width / w;
    const ix = (ev.clientX - r.left) / k, iy = (ev.clientY - r.top) / k;
    app.view.x = wrap.width / 2 - ix * app.view.scale;
    app.view.y = wrap.height / 2 - iy * app.view.scale;
    applyView();
  };
  let dragging = false;
  nav.addEventListener('pointerdown', (ev) => { ev.stopPropagation(); dragging = true; nav.setPointerCapture(ev.pointerId); centreOn(ev); });
  nav.addEventListener('pointermove', (ev) => { if (dragging) centreOn(ev); });
  nav.addEventListener('pointerup', () => { dragging = false; });
}

/** Screen point → full-resolution image pixel. */
function toImage(ev) {
  const r = $('stage-wrap').getBoundingClientRect();
  return [(ev.clientX - r.left - app.view.x) / app.view.scale, (ev.clientY - r.top - app.view.y) / app.view.scale];
}

// Histogram (R, G, B and luminance of the displayed preview) and the clipping overlay, from the JPEG's pixels.
function analysePixels(img) {
  const w = img.naturalWidth, h = img.naturalHeight;
  const c = document.createElement('canvas');
  c.width = w; c.height = h;
  const ctx = c.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(img, 0, 0);
  const px = ctx.getImageData(0, 0, w, h).data;
  const hist = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];
  let sum = 0;
  for (let i = 0; i < px.length; i += 4) {
    hist[0][px[i]]++; hist[1][px[i + 1]]++; hist[2][px[i + 2]]++;
    const y = (px[i] * 54 + px[i + 1] * 183 + px[i + 2] * 19) >> 8;
    hist[3][y]++; sum += y;
  }
  img.dataset.mean = (sum / (w * h)).toFixed(3);
  drawHistogram(hist);
  const clip = $('clip-canvas');
  clip.width = w; clip.height = h;
  clip.hidden = !$('clipping').checked;
  if ($('clipping').checked) {
    const out = ctx.createImageData(w, h);
    const o = out.data;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i] >= 254 || px[i + 1] >= 254 || px[i + 2] >= 254) { o[i] = 255; o[i + 3] = 200; }
      else if (px[i] <= 1 && px[i + 1] <= 1 && px[i + 2] <= 1) { o[i + 2] = 255; o[i + 1] = 120; o[i + 3] = 200; }
    }
    clip.getContext('2d').putImageData(out, 0, 0);
  }
}

function drawHistogram(hist) {
  const c = $('histogram'), ctx = c.getContext('2d');
  ctx.clearRect(0, 0, c.width, c.height);
  let max = 1;
  for (const hgm of hist) for (let i = 1; i < 255; i++) max = Math.max(max, hgm[i]);
  const colours = ['rgba(255,60,60,.6)', 'rgba(60,220,60,.6)', 'rgba(80,120,255,.6)', 'rgba(230,230,230,.5)'];
  ctx.globalCompositeOperation = 'lighter';
  hist.forEach((hgm, k) => {
    ctx.fillStyle = colours[k];
    for (let i = 0; i < 256; i++) {
      const v = Math.min(1, hgm[i] / max) * c.height;
      ctx.fillRect(i, c.height - v, 1, v);
    }
  });
  ctx.globalCompositeOperation = 'source-over';
}

// ---- zoom / pan / picking on the stage ----------------------------------------------------------------------

function setupStage() {
  const wrap = $('stage-wrap');
  wrap.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    const r = wrap.getBoundingClientRect();
    const mx = ev.clientX - r.left, my = ev.clientY - r.top;
    const k = Math.exp(-ev.deltaY * 0.0015);
    const v = app.view;
    zoomTo(v.scale * k, mx, my);
  }, { passive: false });
  let drag = null;
  // A box dragged over the stage (crop mode) would otherwise leave a text/image selection behind, and the next press
  // inside it starts the browser's own drag-and-drop: no pointerup then reaches the stage, and a corner being dragged
  // kept following the pointer after the button was released. No selection, no native drag on the stage.
  wrap.addEventListener('dragstart', (ev) => ev.preventDefault());
  wrap.addEventListener('pointerdown', (ev) => {
    if (ev.button !== 0 || !app.fullSize) return;
    ev.preventDefault();
    window.getSelection()?.removeAllRanges();
    const p = toImage(ev);
    const corner = ev.target.closest?.('.corner');
    // A corner keeps its offset from the pointer: grabbing the handle's rim does not make the corner jump.
    if (corner) { const i = Number(corner.dataset.index), c = app.chart.corners[i]; drag = { kind: 'corner', index: i, dx: c[0] - p[0], dy: c[1] - p[1] }; }
    else if (app.mode === 'corners') {
      app.chart.corners.push(p);
      drawOverlay();
      if (app.chart.corners.length === 4) finishCorners();
      return;
    } else if (app.mode === 'wb-pick') {
      setMode(null);
      editedAdjust().whiteBalance = `pick:${Math.round(p[0])},${Math.round(p[1])},${Math.max(11, Math.round(app.fullSize[0] / 200) | 1)}`;
      app.pickSpot = p;
      syncControls();
      drawOverlay();
      pushRecipe();
      return;
    } else if (app.mode === 'base-rect') {
      drag = { kind: 'rect', start: p, end: p };
    } else if (app.mode === 'crop') {
      drag = { kind: 'crop', start: p, end: p };
    } else drag = { kind: 'pan', x: ev.clientX, y: ev.clientY, vx: app.view.x, vy: app.view.y };
    wrap.setPointerCapture(ev.pointerId);
  });
  wrap.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    // The button was released where the stage did not hear it: the drag ends there, as on a release.
    if (ev.buttons === 0) { endDrag(); return; }
    if (drag.kind === 'pan') {
      app.view.x = drag.vx + ev.clientX - drag.x; app.view.y = drag.vy + ev.clientY - drag.y; applyView();
    } else if (drag.kind === 'corner') {
      const p = toImage(ev);
      app.chart.corners[drag.index] = [p[0] + drag.dx, p[1] + drag.dy]; drawOverlay();
    } else if (drag.kind === 'rect') {
      drag.end = toImage(ev); app.baseRect = [drag.start, drag.end]; drawOverlay();
    } else if (drag.kind === 'crop') {
      drag.end = toImage(ev); app.cropDrag = [drag.start, drag.end]; drawOverlay();
    }
  });
  // The magnifier follows the pointer while the chart's box or corners are placed, and a corner while it is dragged.
  wrap.addEventListener('pointermove', (ev) => {
    if (drag?.kind === 'corner') updateLoupe(app.chart.corners[drag.index]);
    else if (app.mode === 'corners' || app.mode === 'crop') updateLoupe(toImage(ev));
    else if (app.loupe && !app.loupe.held) hideLoupe();
  });
  wrap.addEventListener('pointerleave', () => { if (!drag && !app.loupe?.held) hideLoupe(); });
  wrap.addEventListener('pointerup', () => endDrag());
  // The browser took the pointer away (a cancelled gesture, a lost capture): the drag ends as on a release.
  wrap.addEventListener('pointercancel', () => endDrag());
  wrap.addEventListener('lostpointercapture', () => endDrag());
  function endDrag() {
    if (!drag) return;
    const d = drag; drag = null;
    if (d.kind === 'corner') hideLoupe();
    if (d.kind === 'corner' && app.chart.corners.length === 4) finishCorners();
    if (d.kind === 'crop') {
      setMode(null); app.cropDrag = null;
      const [a, b] = [d.start, d.end];
      const box = [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1])].map(Math.round);
      if (box[2] < 16 || box[3] < 16) { drawOverlay(); toast('drag a box around the whole chart', true); return; }
      guard(detectInBox)(box);
    }
    if (d.kind === 'rect') {
      setMode(null);
      const [a, b] = [d.start, d.end];
      const x = Math.round(Math.min(a[0], b[0])), y = Math.round(Math.min(a[1], b[1]));
      const w = Math.round(Math.abs(a[0] - b[0])), h = Math.round(Math.abs(a[1] - b[1]));
      if (w < 4 || h < 4) { toast('drag a larger rectangle over the bare film', true); return; }
      app.recipe.film.base = `${x},${y},${w},${h}`;
      syncControls();
      pushRecipe();
    }
  }
}

function setMode(mode) {
  app.mode = mode;
  $('stage-wrap').classList.toggle('picking', !!mode);
  $('chart-manual').classList.toggle('active', mode === 'corners');
  $('chart-crop').classList.toggle('active', mode === 'crop');
  if (mode !== 'corners' && mode !== 'crop') hideLoupe();
  $('wb-pick').classList.toggle('active', mode === 'wb-pick');
  $('film-base-pick').classList.toggle('active', mode === 'base-rect');
  chartSteps();
  $('mode-hint').textContent = {
    corners: 'Click the 4 corners of the chart (any order); drag them to adjust',
    crop: 'Drag a box around the chart: it is looked for inside the box',
    'wb-pick': 'Click a neutral (grey or white) spot',
    'base-rect': 'Drag a rectangle over the bare film base (rebate)',
  }[mode] || '';
}

function drawOverlay() {
  const o = $('overlay');
  o.replaceChildren();
  const scale = app.fullSize ? app.fullSize[0] / 1000 : 1;
  const c = app.chart;
  if (c && c.corners.length) {
    if (c.corners.length === 4) o.append(svg('polygon', { class: 'quad', points: c.corners.map(p => p.join(',')).join(' ') }));
    else if (c.corners.length > 1) o.append(svg('polyline', { class: 'quad', points: c.corners.map(p => p.join(',')).join(' ') }));
    for (const p of c.patches || []) {
      o.append(svg('circle', { class: 'patch' + (p.clipped ? ' clipped' : ''), cx: p.x, cy: p.y, r: 9 * scale }));
      o.append(svg('text', { x: p.x, y: p.y, 'font-size': 14 * scale, 'data-patch': p.index }, String(p.index)));
    }
    // Handles of a constant size on screen (8 px), so at 800 % they do not hide the pixels they are placed on.
    if (c.manual) c.corners.forEach((p, i) => o.append(svg('circle', { class: 'corner', cx: p[0], cy: p[1], r: 8 / app.view.scale, 'data-index': i })));
  }
  const box = app.cropDrag ? [Math.min(app.cropDrag[0][0], app.cropDrag[1][0]), Math.min(app.cropDrag[0][1], app.cropDrag[1][1]),
    Math.abs(app.cropDrag[0][0] - app.cropDrag[1][0]), Math.abs(app.cropDrag[0][1] - app.cropDrag[1][1])] : c?.box;
  if (box) o.append(svg('rect', { class: 'cropbox', x: box[0], y: box[1], width: box[2], height: box[3] }));
  if (app.baseRect && app.mode === 'base-rect') {
    const [a, b] = app.baseRect;
    o.append(svg('rect', { class: 'rect', x: Math.min(a[0], b[0]), y: Math.min(a[1], b[1]), width: Math.abs(a[0] - b[0]), height: Math.abs(a[1] - b[1]) }));
  }
  const wb = (app.recipe && app.current ? editedAdjust() : app.recipe?.adjust)?.whiteBalance || '';
  if (wb.startsWith('pick:')) {
    const [x, y, s] = wb.slice(5).split(',').map(Number);
    const size = s || 11;
    o.append(svg('rect', { class: 'pick', x: x - size / 2, y: y - size / 2, width: size, height: size }));
  }
}

// ---- chart --------------------------------------------------------------------------------------------------

/** No chart on screen: overlay, result or error, report and flattened view gone. */
function clearChart() {
  app.chart = null;
  drawOverlay();
  setChartButtons();
  $('chart-status').textContent = '';
  $('chart-status').classList.remove('quality', 'good', 'check', 'poor');
  $('report').replaceChildren();
  $('flatten-view').hidden = true;
  chartSteps();
}

function setChartButtons() {
  const ready = !!(app.chart && app.chart.calibration);
  $('chart-assign-group').disabled = !ready;
  $('chart-assign-global').disabled = !ready;
}

function showChart(res, manual, box) {
  app.chart = { corners: res.corners, patches: res.patches, calibration: res.calibration, manual, box };
  chartSteps();
  drawOverlay();
  setChartButtons();
  const cal = res.calibration;
  $('chart-status').textContent = cal
    ? `${res.patches.length} patches · ${cal.model} · ΔE2000 mean ${cal.deltaE.mean.toFixed(2)}, max ${cal.deltaE.max.toFixed(2)} (leave-one-out ${cal.deltaE.looMean.toFixed(2)} / ${cal.deltaE.looMax.toFixed(2)})` +
      ({ good: ' · good fit', check: ' · check it', poor: ' · poor fit: misplaced grid, or not a ColorChecker?' }[cal.quality?.grade] ?? '')
    : 'chart found';
  $('chart-status').classList.remove('quality', 'good', 'check', 'poor');
  if (cal?.quality) $('chart-status').classList.add('quality', cal.quality.grade);
  showReport(cal);
}

// The calibration report: ΔE2000 per patch as bars (in-sample and leave-one-out) and swatches corrected | reference.
function showReport(cal) {
  const box = $('report');
  box.replaceChildren();
  if (!cal) return;
  // Drawn at about 1:1 in the panel: labels of 9–10 px stay readable.
  const w = 300, h = 110, bw = w / 24;
  const max = Math.max(3, ...cal.patches.map(p => Math.max(p.deltaE ?? 0, p.looDeltaE ?? 0)));
  const chart = svg('svg', { viewBox: `0 0 ${w} ${h + 24}`, id: 'delta-e-chart' });
  for (const t of [1, 2, 3, 5, 10].filter(t => t <= max)) {
    const y = h - t / max * h;
    chart.append(svg('line', { x1: 0, x2: w, y1: y, y2: y, stroke: '#888', 'stroke-dasharray': '2 3', 'stroke-width': 0.5 }));
    chart.append(svg('text', { x: 1, y: y - 2, 'font-size': 10, fill: 'var(--muted)', class: 'axis' }, String(t)));
  }
  cal.patches.forEach((p, i) => {
    const colour = p.deltaE == null ? '#888' : p.deltaE < 1 ? '#3fb950' : p.deltaE < 2.5 ? '#d29922' : '#f85149';
    const hh = (p.deltaE ?? 0) / max * h, lh = (p.looDeltaE ?? 0) / max * h;
    chart.append(svg('rect', { x: i * bw + 1, y: h - lh, width: bw - 2, height: lh, fill: 'none', stroke: '#aaa', 'stroke-width': 0.6 }));
    chart.append(svg('rect', { x: i * bw + 2, y: h - hh, width: bw - 4, height: hh, fill: colour, 'data-patch': p.index }));
    // Patch numbers on two staggered rows: 24 two-digit labels side by side at 9 px would run together.
    chart.append(svg('text', { x: i * bw + bw / 2, y: h + (i % 2 ? 21 : 11), 'font-size': 9, fill: 'var(--muted)', 'text-anchor': 'middle', class: 'axis' }, String(p.index)));
  });
  const swatches = el('div', { class: 'swatches' });
  for (const p of cal.patches) {
    const rgb = (a) => `rgb(${a[0]},${a[1]},${a[2]})`;
    const s = el('div', { class: 'swatch', title: `patch ${p.index}: ΔE ${p.deltaE?.toFixed(2) ?? '–'}${p.clipped ? ' (clipped: not in the fit)' : ''}` },
      el('span'), el('span'), el('b', {}, p.deltaE?.toFixed(1) ?? '–'));
    s.children[0].style.background = rgb(p.corrected);
    s.children[1].style.background = rgb(p.reference);
    swatches.append(s);
  }
  box.append(el('div', { class: 'small muted' }, 'ΔE2000 per patch (filled: fit, outline: leave-one-out)'), chart,
    el('div', { class: 'small muted' }, 'corrected | reference'), swatches,
    ...(cal.warnings || []).map(w => el('div', { class: 'small hint' }, w)));
}

async function finishCorners() {
  setMode(null);
  app.chart.manual = true;
  drawOverlay();
  const corners = app.chart.corners.flat(), file = app.current, box = app.chart.box;
  app.chartBusy++;
  try {
    const res = await api('POST', '/api/chart/detect', { file, corners });
    if (file !== app.current) return;
    app.chartMeasured++;
    showChart(res, true, box); // the server's corners: in chart order (patch 1, 6, 24, 19), so the quad does not cross
    await showFlatten();
  } catch (e) { $('chart-status').textContent = e.message; toast(e.message, true); }
  finally { app.chartBusy--; }
}

// ---- crop box → corners → flatten → finalize (the original tool's chart flow) --------------------------------------

/** Step 1: the chart looked for inside the box the user dragged; its corners (step 2) then stay draggable. */
async function detectInBox(box) {
  const file = app.current;
  app.chart = { corners: [], patches: [], manual: true, box };
  $('flatten-view').hidden = true; $('report').replaceChildren(); setChartButtons(); drawOverlay(); chartSteps();
  $('chart-status').classList.remove('quality', 'good', 'check', 'poor');
  $('chart-status').textContent = 'looking for the chart inside the box…';
  app.chartBusy++;
  try {
    const res = await api('POST', '/api/chart/detect-box', { file, box });
    if (file !== app.current) return;
    app.chartMeasured++;
    showChart(res, true, box);
    await showFlatten();
  } catch (e) {
    if (file === app.current) $('chart-status').textContent = e.message;
    throw e;
  } finally { app.chartBusy--; }
}

/** Step 3: the chart rectified by its corners' homography (patch 1 top left), with the pitch grid and the squares
 * that are sampled drawn on it; a corner is moved by dragging its handle there. */
async function showFlatten() {
  const c = app.chart, file = app.current;
  const r = await api('POST', '/api/chart/flattened', { file, corners: c.corners.flat() });
  const hw = parseFloat(r.headers.get('X-Sample-Half-Width'));
  const url = URL.createObjectURL(await r.blob());
  if (c !== app.chart) return;
  const img = $('flattened');
  await new Promise((ok, fail) => { img.onload = ok; img.onerror = () => fail(new Error('the flattened chart could not be shown')); img.src = url; });
  c.flattened = true; c.sampleHalfWidth = hw;
  $('flatten-view').hidden = false;
  drawFlattenGrid();
  chartSteps();
}

const CHART_CORNERS = [[0, 0], [6, 0], [6, 4], [0, 4]]; // chart units (pitches) of patch 1, 6, 24, 19's grid corners

function drawFlattenGrid(moving) {
  const g = $('flatten-grid'), img = $('flattened'), c = app.chart;
  const W = img.naturalWidth, H = img.naturalHeight, ppp = W / 6;
  g.setAttribute('viewBox', `0 0 ${W} ${H}`);
  g.replaceChildren();
  if (!c?.flattened) return;
  for (let i = 0; i < 24; i++) {
    const u = i % 6 + 0.5, v = Math.floor(i / 6) + 0.5, hw = (c.sampleHalfWidth || 0) * ppp;
    g.append(svg('rect', { class: 'cell', x: (u - 0.5) * ppp, y: (v - 0.5) * ppp, width: ppp, height: ppp }));
    if (hw > 0) g.append(svg('rect', { class: 'sample', x: u * ppp - hw, y: v * ppp - hw, width: 2 * hw, height: 2 * hw, 'data-patch': i + 1 }));
  }
  CHART_CORNERS.forEach(([u, v], i) => {
    const [x, y] = moving?.index === i ? moving.at : [u * ppp, v * ppp];
    g.append(svg('circle', { class: 'handle', cx: x, cy: y, r: 9 * W / 600, 'data-index': i }));
  });
}

/** The homography mapping chart units (u, v) to image pixels through the 4 corners (a direct 8 × 8 solve). */
function chartToImage(corners) {
  const A = [], b = [];
  CHART_CORNERS.forEach(([u, v], i) => {
    const [x, y] = corners[i];
    A.push([u, v, 1, 0, 0, 0, -u * x, -v * x]); b.push(x);
    A.push([0, 0, 0, u, v, 1, -u * y, -v * y]); b.push(y);
  });
  for (let col = 0; col < 8; col++) { // Gaussian elimination with partial pivoting
    let piv = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(A[r][col]) > Math.abs(A[piv][col])) piv = r;
    [A[col], A[piv]] = [A[piv], A[col]]; [b[col], b[piv]] = [b[piv], b[col]];
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const f = A[r][col] / A[col][col];
      for (let k = col; k < 8; k++) A[r][k] -= f * A[col][k];
      b[r] -= f * b[col];
    }
  }
  const h = b.map((v, i) => v / A[i][i]);
  return (u, v) => { const w = h[6] * u + h[7] * v + 1; return [(h[0] * u + h[1] * v + h[2]) / w, (h[3] * u + h[4] * v + h[5]) / w]; };
}

function setupFlatten() {
  const g = $('flatten-grid');
  let drag = null;
  const at = (ev) => {
    const r = g.getBoundingClientRect(), img = $('flattened');
    return [(ev.clientX - r.left) * img.naturalWidth / r.width, (ev.clientY - r.top) * img.naturalHeight / r.height];
  };
  g.addEventListener('pointerdown', (ev) => {
    const h = ev.target.closest('.handle');
    if (!h || !app.chart?.flattened) return;
    ev.preventDefault();
    drag = { index: Number(h.dataset.index), map: chartToImage(app.chart.corners), chart: app.chart };
    g.setPointerCapture(ev.pointerId);
  });
  g.addEventListener('pointermove', (ev) => {
    if (!drag || drag.chart !== app.chart) return;
    const p = at(ev), ppp = $('flattened').naturalWidth / 6;
    // The handle's place on the flattened chart, back through the homography: where that corner goes in the image.
    app.chart.corners[drag.index] = drag.map(p[0] / ppp, p[1] / ppp);
    drawFlattenGrid({ index: drag.index, at: p });
    drawOverlay();
    updateLoupe(app.chart.corners[drag.index], true);
  });
  g.addEventListener('pointerup', () => {
    if (!drag) return;
    const d = drag; drag = null;
    hideLoupe();
    if (d.chart === app.chart) finishCorners();
  });
}

/** Which step of crop box → corners → flatten → finalize the chart is at. */
function chartSteps() {
  const c = app.chart, m = app.mode;
  const done = {
    crop: !!c?.box, corners: !!(c?.calibration && c.corners.length === 4),
    flatten: !!c?.flattened, finalize: !!c?.finalized,
  };
  // A chart found by plain Detect has no flattened view: with a fit it is ready to finalize, not at "Flatten".
  const current = m === 'crop' ? 'crop' : m === 'corners' ? 'corners'
    : !c ? 'crop' : !done.corners ? 'corners' : !done.flatten && c.manual ? 'flatten' : 'finalize';
  for (const li of $('chart-steps').children) {
    li.classList.toggle('done', done[li.dataset.step]);
    li.classList.toggle('current', li.dataset.step === current);
  }
}

// ---- the magnifier: full-resolution pixels (the 1:1 tiles) around the pointer or a corner --------------------------

const LOUPE_ZOOM = 8;        // screen pixels per image pixel in the loupe
const loupeTiles = new Map(); // tile key → {img, loaded}

function loupeTile(tx, ty) {
  const look = tileLook() ?? 'edit';
  const key = `${app.current}|${look}|${tileGen}|${tx}/${ty}`;
  let t = loupeTiles.get(key);
  if (t) return t;
  if (loupeTiles.size > 32) loupeTiles.clear();
  t = { img: new Image(), loaded: false };
  t.img.onload = () => { t.loaded = true; drawLoupe(); };
  t.img.src = `/api/tile?file=${enc(app.current)}&level=0&x=${tx}&y=${ty}&look=${look}&gen=${tileGen}`;
  loupeTiles.set(key, t);
  return t;
}

/** Shows the loupe for image point p, beside its place on screen (held: kept while the pointer is elsewhere). */
function updateLoupe(p, held = false) {
  const c = $('loupe');
  if (!p || !app.current || !app.fullSize) { hideLoupe(); return; }
  const n = c.width / LOUPE_ZOOM, half = Math.floor(n / 2);
  app.loupe = { x0: Math.floor(p[0]) - half, y0: Math.floor(p[1]) - half, n, zoom: LOUPE_ZOOM, point: p, ready: false, held };
  const r = $('stage-wrap').getBoundingClientRect(), v = app.view;
  const sx = v.x + p[0] * v.scale, sy = v.y + p[1] * v.scale, gap = 28;
  const lx = sx + gap + c.width > r.width ? sx - gap - c.width : sx + gap;
  const ly = sy + gap + c.height > r.height ? sy - gap - c.height : sy + gap;
  c.style.left = Math.max(0, lx) + 'px'; c.style.top = Math.max(0, ly) + 'px';
  c.hidden = false;
  drawLoupe();
}

function hideLoupe() { app.loupe = null; $('loupe').hidden = true; }

function drawLoupe() {
  const L = app.loupe;
  if (!L || !app.fullSize) return;
  const c = $('loupe'), ctx = c.getContext('2d'), Z = L.zoom;
  const [w, h] = app.fullSize;
  ctx.imageSmoothingEnabled = false;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, c.width, c.height);
  let ready = true;
  const xa = Math.max(0, L.x0), ya = Math.max(0, L.y0), xb = Math.min(w, L.x0 + L.n), yb = Math.min(h, L.y0 + L.n);
  for (let ty = Math.floor(ya / TILE); ty * TILE < yb; ty++)
    for (let tx = Math.floor(xa / TILE); tx * TILE < xb; tx++) {
      const t = loupeTile(tx, ty);
      if (!t.loaded) { ready = false; continue; }
      const x0 = Math.max(xa, tx * TILE), x1 = Math.min(xb, tx * TILE + t.img.naturalWidth);
      const y0 = Math.max(ya, ty * TILE), y1 = Math.min(yb, ty * TILE + t.img.naturalHeight);
      if (x1 <= x0 || y1 <= y0) continue;
      // One image pixel → a Z × Z square: the pixels themselves, not a smoothed enlargement.
      ctx.drawImage(t.img, x0 - tx * TILE, y0 - ty * TILE, x1 - x0, y1 - y0, (x0 - L.x0) * Z, (y0 - L.y0) * Z, (x1 - x0) * Z, (y1 - y0) * Z);
    }
  if (!ready) {
    ctx.fillStyle = '#ffd866'; ctx.font = '12px sans-serif';
    ctx.fillText('rendering 1:1…', 8, 16);
  }
  // Cross-hair through the exact point, open at the centre so the pixel under it stays visible.
  const px = (L.point[0] - L.x0) * Z, py = (L.point[1] - L.y0) * Z;
  ctx.strokeStyle = 'rgba(255,222,0,.9)'; ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(px, 0); ctx.lineTo(px, py - Z); ctx.moveTo(px, py + Z); ctx.lineTo(px, c.height);
  ctx.moveTo(0, py); ctx.lineTo(px - Z, py); ctx.moveTo(px + Z, py); ctx.lineTo(c.width, py);
  ctx.stroke();
  L.ready = ready;
}

async function assignChart(global) {
  const corners = app.chart?.manual ? app.chart.corners.flat() : null;
  let res;
  try { res = await api('POST', '/api/chart/assign', { file: app.current, corners, global }); }
  catch (e) {
    // A poor fit (a misplaced grid, not a ColorChecker) is not assigned unless the user says so, knowing why.
    if (!(e.status === 409 && e.body?.needsConfirm)) throw e;
    if (!window.confirm(`${e.message}.\n\nUse this chart anyway?`)) { toast('chart not assigned', true); return; }
    res = await api('POST', '/api/chart/assign', { file: app.current, corners, global, confirm: true });
  }
  if (app.chart) app.chart.finalized = true;
  chartSteps();
  app.state = await api('GET', '/api/state'); adopt(app.state.recipe);
  showAssigned();
  syncControls(); // a chart frame of a negative roll locks the roll
  showDataset(app.dataset);
  toast(`chart assigned to ${res.group ? 'group ' + res.group : 'all groups'} (ΔE ${res.calibration.deltaE.mean.toFixed(2)})`);
  await renderPreview();
}

function showAssigned() {
  const box = $('assigned');
  box.replaceChildren();
  showFallback();
  for (const [group, cal] of Object.entries(app.state.calibrations || {})) {
    box.append(el('div', { class: 'row' }, `${group || 'all groups'}: ${cal.source} (ΔE ${cal.deltaE.mean.toFixed(2)})`,
      el('button', { onclick: guard(async () => { await api('POST', '/api/chart/unassign', { group }); app.state = await api('GET', '/api/state'); adopt(app.state.recipe); showAssigned(); showDataset(app.dataset); renderPreview(); }) }, 'Remove')));
  }
}

// ---- groups without a chart: the recipe's calibration fallback, chosen before Process ------------------------------

/** Whether the recipe holds a chart (or profile) for all groups, which "use the chart for all groups" would give. */
function hasGlobalChart() {
  const c = app.recipe?.calibration;
  return !!c && (c.charts.some(x => x.allGroups) || c.profiles.length > 0);
}

/** The groups that would be processed without a chart of their own while another group has one (film rolls are
 * calibrated as one roll: none then). */
function groupsWithoutChart() {
  const cals = app.state?.calibrations || {};
  if (!app.dataset || app.recipe?.film.enabled) return [];
  const own = app.dataset.groups.filter(g => g.name && cals[g.name]);
  if (!own.length) return [];
  return app.dataset.groups.filter(g => !(g.name && cals[g.name]));
}

/** The choice for groups without a chart, with how many groups (and images) it concerns; unset, Process waits. */
function fallbackUnresolved() {
  const missing = groupsWithoutChart(), f = app.recipe?.calibration.fallback;
  return missing.length > 0 && !(f === 'none' || (f === 'global' && hasGlobalChart())) ? missing : [];
}

function showFallback() {
  const missing = groupsWithoutChart();
  $('fallback').hidden = !missing.length;
  if (!missing.length) return;
  const images = missing.reduce((n, g) => n + g.files.length, 0);
  const names = missing.map(g => g.display || g.name || '(root)');
  $('fallback-label').textContent = `${missing.length} group(s) without a chart of their own (${names.slice(0, 4).join(', ')}${names.length > 4 ? '…' : ''}; ${images} image(s)):`;
  const global = hasGlobalChart();
  $('chart-fallback').querySelector('option[value=global]').disabled = !global;
  $('chart-fallback').querySelector('option[value=global]').textContent = global ? 'use the chart for all groups' : 'use the chart for all groups (none finalized yet)';
  const f = app.recipe.calibration.fallback;
  $('chart-fallback').value = f === 'global' && !global ? 'error' : f;
}

/** A refreshed view of what the recipe gives: calibrations, group headers, the fallback choice and the plan. */
async function refreshState() {
  app.state = await api('GET', '/api/state');
  adopt(app.state.recipe);
  showAssigned();
  showDataset(app.dataset);
}

// ---- controls -------------------------------------------------------------------------------------------------

const sliders = {
  exposure: ['adjust', 'exposureEv'], shadows: ['adjust', 'shadows'], highlights: ['adjust', 'highlights'],
  denoise: ['adjust', 'denoise'], sharpen: ['adjust', 'sharpen'], 'sharpen-radius': ['adjust', 'sharpenRadius'],
  'film-ev': ['film', 'exposureEv'], quality: ['export', 'quality'],
};

/** Slider ranges, steps and units from the server's operator table (the same ranges the recipe is checked against). */
function applyParameters() {
  for (const [id, [sec, key]] of Object.entries(sliders)) {
    const p = sec === 'adjust' && (app.state.parameters || []).find(q => q.key === key);
    if (!p) continue;
    Object.assign($(id), { min: p.softMin, max: p.softMax, step: p.step });
    Object.assign($(id).dataset, { unit: p.unit || '', default: p.default, hardMin: p.min, hardMax: p.max });
  }
}

/** The value box beside a slider: shows the value with its unit; a typed value (unit optional) is applied on Enter. */
function showValue(id, v) {
  const slider = $(id), unit = slider.dataset.unit, box = slider.nextElementSibling;
  const text = unit ? `${v} ${unit}` : `${v}`;
  // The value applied, which a typed one may put beyond the slider's ends (the thumb then rests at the end): the box
  // always shows what the picture is made with, never the thumb's position.
  slider.dataset.applied = String(v);
  const beyond = Number(v) < Number(slider.min) || Number(v) > Number(slider.max);
  box.classList.toggle('beyond', beyond);
  box.title = beyond ? `${text} applied: beyond the slider's range (${slider.min} to ${slider.max}${unit ? ' ' + unit : ''}); typed values go from ${slider.dataset.hardMin ?? slider.min} to ${slider.dataset.hardMax ?? slider.max}` : '';
  if (box.tagName === 'INPUT') { if (document.activeElement !== box) box.value = text; } else box.textContent = text;
}

/** The value the recipe holds for a slider (a typed one beyond its ends included). */
const appliedValue = (id) => Number($(id).dataset.applied ?? $(id).value);

const valueSliders = () => [...Object.keys(sliders), 'kelvin', 'tint'];

/** Each slider's <output> becomes a box the value can be typed into; double-clicking a slider resets it. */
function setupValueBoxes() {
  for (const id of valueSliders()) {
    const slider = $(id), label = document.querySelector(`label[for="${id}"]`)?.textContent || id;
    const box = el('input', { class: 'value', id: `${id}-value`, 'aria-label': `${label} value`, spellcheck: 'false', inputmode: 'decimal' });
    slider.nextElementSibling.replaceWith(box);
    box.addEventListener('focus', () => box.select());
    box.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') box.blur(); else if (ev.key === 'Escape') { box.value = ''; box.blur(); } });
    box.addEventListener('change', () => {
      let v = parseFloat(box.value.replace(',', '.'));
      if (!Number.isFinite(v)) { showValue(id, appliedValue(id)); return; }
      // JPEG quality is a whole number: a typed 72.5 is 73 (the server refuses a fraction there).
      if (id === 'quality') v = Math.round(v);
      const lo = Number(slider.dataset.hardMin ?? slider.min), hi = Number(slider.dataset.hardMax ?? slider.max);
      const c = Math.min(hi, Math.max(lo, v));
      if (c !== v) toast(`${label}: ${v} is outside ${lo} to ${hi}; ${c} applied`, true);
      setSlider(id, c);
    });
    box.addEventListener('blur', () => showValue(id, slider.dataset.typed ?? appliedValue(id)));
    slider.addEventListener('dblclick', () => setSlider(id, Number(slider.dataset.default ?? slider.defaultValue)));
  }
}

/** Sets a slider as if it had been moved there (a typed value may lie beyond the slider's range: it is kept exact). */
function setSlider(id, v) {
  const slider = $(id);
  slider.value = v;
  slider.dataset.typed = String(v);
  slider.dispatchEvent(new Event('input'));
}

/** The slider's value: a typed one once, else its position. */
function sliderValue(id) {
  const slider = $(id), typed = slider.dataset.typed;
  delete slider.dataset.typed;
  return typed !== undefined ? Number(typed) : Number(slider.value);
}

function syncControls() {
  const r = app.recipe, a = editedAdjust();
  applyParameters();
  for (const [id, [sec, key]] of Object.entries(sliders)) {
    const v = (sec === 'adjust' ? a : r[sec])[key];
    $(id).value = v; showValue(id, v);
  }
  const own = !!r.adjust.images?.[imageKey()];
  $('adjust-own').checked = own;
  $('adjust-own').disabled = !app.current;
  $('adjust-scope').textContent = own ? `for ${imageKey()} only` : 'for all images';
  const wb = a.whiteBalance;
  const mode = /^\d/.test(wb) ? 'kelvin' : wb.startsWith('pick:') ? 'pick' : wb === 'auto' ? 'auto' : 'asshot';
  $('wb-mode').value = mode;
  if (mode === 'kelvin') {
    const [k, t] = wb.split(',');
    $('kelvin').value = k; $('tint').value = t || 0;
    showValue('kelvin', Number(k)); showValue('tint', Number(t || 0));
  } else for (const id of ['kelvin', 'tint']) showValue(id, appliedValue(id));
  document.querySelectorAll('.kelvin').forEach(e => { e.hidden = mode !== 'kelvin'; });
  $('mask-clipped').checked = a.maskClipped;
  $('film-enabled').checked = r.film.enabled;
  $('film-crop').checked = !!r.film.cropRebate;
  $('film-stock').value = r.film.stock;
  $('film-base').textContent = r.film.base;
  $('film-unmix').value = r.film.unmix ? r.film.unmix.join(', ') : '';
  $('film-flat').value = r.film.flatField || '';
  // "Rcd" names the same method as the default on Bayer sensors; X-Trans files get their own method under every choice.
  $('demosaic').value = ['Lmmse', 'Ppg'].includes(r.decode.demosaic) ? r.decode.demosaic : 'Full';
  $('format').value = r.export.format;
  $('existing').value = r.export.overwrite ? 'overwrite' : r.export.skipExisting ? 'skip' : 'stop';
  fillBitDepths();
  $('colorspace').value = r.export.colorSpace || '';
  $('naming').value = r.naming.schema;
  $('custom').value = r.naming.custom;
  showRollStatus();
}

/** The roll the frames are inverted with, as the server last said: locked for the plan, or each group's own. */
function showRollStatus() {
  const roll = app.state.roll, groupRolls = app.state.groupRolls || [];
  const rollWords = groupRolls.map(g => `${g.group || 'top folder'} from ${g.source}`).join(', ');
  $('roll-status').textContent = (roll ? (roll.calibrated ? `locked by its chart frame (${roll.source})` : `locked (${roll.stock})`) : '') +
    (groupRolls.length ? `${roll ? '; ' : ''}each group its own roll: ${rollWords}` : '');
}

function fillBitDepths() {
  const depths = { jpg: [8], png: [8, 16], tiff: [8, 16, 32], exr: [16, 32] }[$('format').value];
  const cur = app.recipe.export.bitDepth;
  $('bit-depth').replaceChildren(...depths.map(d => el('option', { value: d }, d === 32 ? '32 float' : d === 16 && $('format').value === 'exr' ? '16 half' : String(d))));
  $('bit-depth').value = depths.includes(cur) ? cur : depths[depths.length > 1 && $('format').value === 'tiff' ? 1 : depths.length - 1];
  app.recipe.export.bitDepth = Number($('bit-depth').value);
  $('quality').disabled = $('format').value !== 'jpg';
}

function setupControls() {
  for (const [id, [sec, key]] of Object.entries(sliders)) {
    $(id).addEventListener('input', () => {
      const v = sliderValue(id);
      (sec === 'adjust' ? editedAdjust() : app.recipe[sec])[key] = v;
      showValue(id, v);
      if (sec !== 'export') pushRecipe(); else pushExport();
    });
  }
  const wbChanged = (ev) => {
    const mode = $('wb-mode').value;
    document.querySelectorAll('.kelvin').forEach(e => { e.hidden = mode !== 'kelvin'; });
    // The slider moved (or typed) gives its value; the other keeps the one applied (a typed one beyond its ends too).
    const moved = ev?.target?.id;
    const k = moved === 'kelvin' ? sliderValue('kelvin') : appliedValue('kelvin');
    const t = moved === 'tint' ? sliderValue('tint') : appliedValue('tint');
    showValue('kelvin', k); showValue('tint', t);
    if (mode === 'pick') { if (!editedAdjust().whiteBalance.startsWith('pick:')) setMode('wb-pick'); return; }
    editedAdjust().whiteBalance = mode === 'kelvin' ? `${k},${t}` : mode;
    drawOverlay();
    pushRecipe();
  };
  $('wb-mode').addEventListener('change', wbChanged);
  $('kelvin').addEventListener('input', wbChanged);
  $('tint').addEventListener('input', wbChanged);
  $('wb-pick').addEventListener('click', () => { $('wb-mode').value = 'pick'; setMode(app.mode === 'wb-pick' ? null : 'wb-pick'); });
  $('mask-clipped').addEventListener('change', () => { editedAdjust().maskClipped = $('mask-clipped').checked; pushRecipe(); });
  $('adjust-own').addEventListener('change', () => setOwn($('adjust-own').checked));
  $('adjust-copy').addEventListener('click', copySettings);
  $('adjust-paste').addEventListener('click', pasteSettings);
  $('reset-adjust').addEventListener('click', () => {
    const a = editedAdjust();
    Object.assign(a, defaultAdjust());
    if (a === app.recipe.adjust) a.exposureMultipliers = {};
    syncControls(); drawOverlay(); pushRecipe();
  });
  $('normalise').addEventListener('click', guard(async () => {
    $('normalise').disabled = true;
    try {
      const res = await api('POST', '/api/exposure/normalise', {});
      adopt(res.recipe);
      $('normalise-result').replaceChildren(el('table', { class: 'small' }, ...res.rows.map(r =>
        el('tr', {}, el('td', {}, r.file.split('/').pop()), el('td', {}, `${r.ev >= 0 ? '+' : ''}${r.ev.toFixed(2)} EV`)))),
        ...res.errors.map(e => el('div', { class: 'errors' }, e)));
      await renderPreview();
    } finally { $('normalise').disabled = false; }
  }));
  for (const id of ['before', 'before-calibrated', 'mask-view']) $(id).addEventListener('change', () => { $('before-calibrated').disabled = !$('before').checked; renderPreview(); });
  $('clipping').addEventListener('change', () => analysePixels($('preview')));
  $('fit').addEventListener('click', fitView);
  // 1:1: one full-resolution pixel per screen pixel, from the export's own pixels (tiles), about the view's centre.
  $('zoom-100').addEventListener('click', () => { if (app.fullSize) zoomTo(1); });

  $('chart-detect').addEventListener('click', guard(async () => {
    if (!app.current) return;
    setMode(null);
    $('chart-status').textContent = 'detecting…';
    const file = app.current;
    try {
      const res = await api('POST', '/api/chart/detect', { file });
      if (file === app.current) showChart(res, false); // another image was chosen meanwhile: not its chart
    } catch (e) {
      if (file !== app.current) return;
      clearChart(); $('chart-status').textContent = e.message; throw e;
    }
  }));
  $('chart-manual').addEventListener('click', () => {
    if (app.mode === 'corners') { setMode(null); return; }
    app.chart = { corners: [], patches: [], manual: true };
    $('flatten-view').hidden = true; $('report').replaceChildren();
    setChartButtons(); drawOverlay(); setMode('corners');
  });
  $('chart-clear').addEventListener('click', () => { clearChart(); setMode(null); });
  $('chart-crop').addEventListener('click', () => {
    if (app.mode === 'crop') { setMode(null); return; }
    clearChart(); setMode('crop');
  });
  $('chart-fallback').addEventListener('change', guard(async () => {
    app.recipe.calibration.fallback = $('chart-fallback').value;
    noteChange();
    await api('PUT', '/api/recipe', app.recipe);
    await refreshState();
    await renderPreview();
  }));
  $('chart-assign-group').addEventListener('click', guard(() => assignChart(false)));
  $('chart-assign-global').addEventListener('click', guard(() => assignChart(true)));

  $('film-enabled').addEventListener('change', guard(async () => {
    app.recipe.film.enabled = $('film-enabled').checked;
    await pushRecipe();
    // A sync already running takes this change on its next round: the state is read once it has landed.
    while (app.syncing) await new Promise(res => setTimeout(res, 50));
    // Film mode decides which rolls there are (each group's own, from charts found per group): say so now.
    app.state = await api('GET', '/api/state');
    showRollStatus();
  }));
  $('film-crop').addEventListener('change', () => { app.recipe.film.cropRebate = $('film-crop').checked; pushRecipe(); });
  $('film-stock').addEventListener('change', () => { app.recipe.film.stock = $('film-stock').value; pushRecipe(); });
  $('film-unmix').addEventListener('change', () => {
    const text = $('film-unmix').value.trim();
    const v = text ? text.split(/[\s,;]+/).map(Number) : null;
    if (v && (v.length !== 9 || v.some(x => !Number.isFinite(x)))) { toast('unmix: 9 numbers, row by row', true); return; }
    app.recipe.film.unmix = v;
    pushRecipe();
  });
  $('film-flat').addEventListener('change', () => { app.recipe.film.flatField = $('film-flat').value.trim() || null; pushRecipe(); });
  $('film-base-pick').addEventListener('click', () => setMode(app.mode === 'base-rect' ? null : 'base-rect'));
  $('film-base-auto').addEventListener('click', () => { app.recipe.film.base = 'auto'; syncControls(); pushRecipe(); });
  $('roll-lock').addEventListener('click', guard(async () => {
    $('roll-status').textContent = 'analysing the roll…';
    // A roll is a group: measured on the frames of the shown image's group (the server names it in r.source).
    let r;
    try { r = await api('POST', '/api/film/lock' + (app.current ? '?file=' + encodeURIComponent(app.current) : '')); }
    catch (e) { showRollStatus(); throw e; } // refused: the status says what holds, not "analysing" for good
    app.state = await api('GET', '/api/state'); adopt(app.state.recipe);
    $('roll-status').textContent = (r.calibrated ? `locked by its chart frame; ${r.source}` : `locked (${r.stock}), ${r.source}`) + (r.rejected?.length ? `, ${r.rejected.length} frame(s) rejected` : '');
    await renderPreview();
  }));
  $('roll-unlock').addEventListener('click', guard(async () => { await api('POST', '/api/film/unlock'); app.state = await api('GET', '/api/state'); adopt(app.state.recipe); syncControls(); await renderPreview(); }));

  $('existing').addEventListener('change', () => {
    const v = $('existing').value;
    app.recipe.export.overwrite = v === 'overwrite';
    app.recipe.export.skipExisting = v === 'skip';
    api('PUT', '/api/recipe', app.recipe).then(schedulePlan).catch(e => toast(e.message, true));
  });
  $('format').addEventListener('change', () => { app.recipe.export.format = $('format').value; fillBitDepths(); pushExport(); });
  $('demosaic').addEventListener('change', () => { app.recipe.decode.demosaic = $('demosaic').value; pushExport(); });
  $('bit-depth').addEventListener('change', () => { app.recipe.export.bitDepth = Number($('bit-depth').value); pushExport(); });
  $('colorspace').addEventListener('change', () => { app.recipe.export.colorSpace = $('colorspace').value || null; pushExport(); });
  for (const id of ['naming', 'custom', 'output']) $(id).addEventListener('input', schedulePlan);
  $('farm-url').addEventListener('input', () => {
    document.querySelector('.farm-token').hidden = !$('farm-url').value.trim();
    $('process').textContent = $('farm-url').value.trim() ? 'Process on the farm' : 'Process';
    scheduleFarm();
  });
  $('farm-token').addEventListener('change', scheduleFarm);
  $('process').addEventListener('click', guard(startBatch));
  $('cancel').addEventListener('click', guard(() => api('POST', '/api/cancel')));
}

async function pushExport() {
  noteChange();
  // The naming as typed goes with the format: "[o].png" then PNG is one consistent choice, not a refused one.
  const typed = { schema: $('naming').value, custom: $('custom').value };
  try { await api('PUT', '/api/recipe', { ...app.recipe, naming: { ...app.recipe.naming, ...typed } }); }
  catch (e) {
    // Refused (a format the naming's own extension contradicts): the server kept its export settings, so the page
    // shows those again; left as chosen, the page said PNG while Process would have written the server's JPEGs.
    // What the user typed in the naming stays in its box.
    toast(e.message, true);
    try {
      app.recipe.export = (await api('GET', '/api/state')).recipe.export;
      syncControls();
      $('naming').value = typed.schema; $('custom').value = typed.custom;
    } catch { /* the toast says enough */ }
  }
  schedulePlan();
}

// ---- export: live naming validation and output names ---------------------------------------------------------

let planTimer;
function schedulePlan() { clearTimeout(planTimer); planTimer = setTimeout(guard(plan), 250); }

let planSeq = 0;
async function plan() {
  if (!app.dataset) return;
  saveFolderState();
  const seq = ++planSeq;
  const res = await api('POST', '/api/plan', { schema: $('naming').value, custom: $('custom').value, output: $('output').value });
  if (seq !== planSeq) return; // a newer edit's answer owns the display (answers can come back out of order)
  // A problem with the output folder is said next to Process, not under the naming.
  $('naming-error').textContent = res.outputError ? '' : res.error || '';
  $('naming').setAttribute('aria-invalid', String(!res.ok && !res.outputError));
  $('process').disabled = !res.ok;
  $('name-preview').replaceChildren(...res.items.slice(0, 30).map(i => el('li', {}, `${i.input} → ${i.output}`)),
    ...(res.total > 30 ? [el('li', { class: 'muted' }, `… ${res.total - 30} more`)] : []));
  // Outputs already there: say so before starting, with the choice the export will follow.
  const ex = res.existing || [];
  $('conflicts').textContent = ex.length
    ? `${ex.length} output(s) already exist (${ex.slice(0, 3).join(', ')}${ex.length > 3 ? '…' : ''}): ` +
      { stop: 'choose overwrite or keep above, or another folder', overwrite: 'they will be replaced', skip: 'they will be kept, the rest done' }[$('existing').value]
    : '';
  if (ex.length && $('existing').value === 'stop') $('process').disabled = true;
  // Groups without a chart while others have one: the run would stop on them, so the choice comes first.
  showFallback();
  const missing = fallbackUnresolved();
  $('process-warning').textContent = missing.length
    ? `${missing.length} group(s) have no chart of their own (${missing.map(g => g.display || g.name || '(root)').slice(0, 3).join(', ')}${missing.length > 3 ? '…' : ''}): ` +
      'choose under Chart what happens to them (leave them uncalibrated, or use the chart for all groups)'
    : '';
  if (missing.length) $('process').disabled = true;
  // What else the server would refuse Process for (the same words it would answer with).
  if (!missing.length && res.errors?.length) { $('process-warning').textContent = res.errors.join('; '); $('process').disabled = true; }
  if (!app.files.length) { $('process').disabled = true; $('process-warning').textContent = 'No image to process in this folder.'; }
  if (res.outputError) $('process-warning').textContent = res.outputError;
  if (res.ok && (app.recipe.naming.schema !== $('naming').value || app.recipe.naming.custom !== $('custom').value)) {
    app.recipe.naming.schema = $('naming').value;
    app.recipe.naming.custom = $('custom').value;
    await api('PUT', '/api/recipe', app.recipe);
  }
}

async function startBatch() {
  await plan();
  if ($('process').disabled) return;
  app.statuses = {};
  $('batch-errors').replaceChildren();
  const res = await api('POST', '/api/process', { path: $('output').value, farm: $('farm-url').value.trim() || null, farmToken: $('farm-token').value || null });
  $('progress').max = res.total; $('progress').value = 0;
  $('process').disabled = true; $('cancel').disabled = false;
  $('progress-text').textContent = `0 / ${res.total}`;
  const es = new EventSource('/api/events');
  let kept = 0; // outputs already there, left as they were ("keep them, do the rest"): not written, not "done"
  es.onmessage = (m) => {
    const e = JSON.parse(m.data);
    if (e.kind === 'file') {
      app.statuses[e.file] = e.status === 'failed' ? 'failed' : e.status === 'skipped' ? 'skipped' : 'done';
      if (e.status === 'skipped') kept++;
      if (e.error) $('batch-errors').append(el('li', {}, `${e.file.split('/').pop()}: ${e.error}`));
      refreshFileClasses();
    }
    $('progress').value = e.done + e.failed;
    const written = e.done - kept;
    $('progress-text').textContent = `${e.done + e.failed} / ${e.total}` +
      (kept || e.failed ? ` (${[written ? `${written} written` : '', kept ? `${kept} kept: already there` : '', e.failed ? `${e.failed} failed` : ''].filter(Boolean).join(', ')})` : '');
    if (e.kind === 'end' || e.kind === 'cancelled') {
      es.close();
      $('process').disabled = false; $('cancel').disabled = true;
      $('progress-text').textContent += e.kind === 'cancelled' ? ' — cancelled' : e.error ? ` — ${e.error}`
        : kept && !written && !e.failed ? ' — nothing written: every output was already there' : ' — done';
    }
  };
}

// ---- farm panel: the coordinator's workers and batches, polled while a farm is set ------------------------------

let farmTimer = null, farmPrev = null, farmGen = 0;
const farmUrl = () => $('farm-url').value.trim();
const isFarmUrl = (u) => /^https?:\/\/[^/]/.test(u);

// Each change of address or token starts a new generation of looks. A look still in flight when the user changes
// something belongs to the old one and must neither show its answer nor schedule another look: clearing the timer
// alone missed it, and two chains of looks then ran side by side (twice the polling, throughput from halved gaps).
function scheduleFarm() {
  clearTimeout(farmTimer);
  const gen = ++farmGen;
  const on = isFarmUrl(farmUrl());
  $('farm-panel').hidden = !on;
  farmPrev = null;
  if (on) farmTimer = setTimeout(() => pollFarm(gen), 500);
}

async function pollFarm(gen) {
  const url = farmUrl();
  if (gen !== farmGen || !isFarmUrl(url)) return;
  try {
    const res = await api('POST', '/api/farm/status', { url, token: $('farm-token').value || null });
    if (gen === farmGen) { showFarm(res); $('farm-error').textContent = ''; }
  } catch (e) { if (gen === farmGen) $('farm-error').textContent = e.message; }
  if (gen === farmGen) farmTimer = setTimeout(() => pollFarm(gen), document.hidden || !$('farm-panel').open ? 10000 : 2000);
}

/** Times from the coordinator are UTC; one without a zone is read as UTC, not as local time. */
const utc = (t) => Date.parse(/Z|[+-]\d\d:\d\d$/.test(t) ? t : t + 'Z');

function showFarm(res) {
  const now = utc(res.at);
  const prev = farmPrev;
  farmPrev = { at: now, done: Object.fromEntries(res.workers.map(w => [w.name, w.done])) };
  let live = 0, total = 0;
  const rows = res.workers.map(w => {
    const age = (now - utc(w.heartbeatUtc)) / 1000;
    // A worker beats every 5 s; one silent for 30 s is gone or stuck.
    const state = age > 30 ? `silent ${Math.round(age)} s` : w.busy > 0 ? `busy ${w.busy}/${w.threads}` : 'idle';
    if (age <= 30) live++;
    // Throughput: images it finished between two looks at the farm.
    const before = prev?.done[w.name];
    const rate = before === undefined || now <= prev.at ? null : (w.done - before) / ((now - prev.at) / 60000);
    if (rate !== null && age <= 30) total += rate;
    return el('tr', { class: age > 30 ? 'silent' : w.busy > 0 ? 'busy' : 'idle', 'data-worker': w.name },
      el('td', {}, w.name), el('td', {}, w.host), el('td', { class: 'state' }, state), el('td', {}, `${w.done} done`),
      el('td', { class: 'rate' }, rate === null ? '' : `${rate.toFixed(1)}/min`));
  });
  $('farm-workers').replaceChildren(el('tr', {}, ...['worker', 'host', 'state', 'images', 'rate'].map(h => el('th', {}, h))), ...rows);
  const batches = [...res.batches].sort((a, b) => utc(b.created) - utc(a.created));
  const b = batches.find(x => !x.finished) || batches[0];
  if (b) {
    const finished = b.done + b.failed + b.cancelled;
    $('farm-batch').textContent = `batch ${b.id}: ${finished} / ${b.total}` + (b.failed ? ` (${b.failed} failed)` : '') +
      (b.running ? `, ${b.running} running` : '') + (b.queued ? `, ${b.queued} queued` : '') + ` · ${b.imagesPerMinute} images/min` + (b.finished ? ' · finished' : '');
    $('farm-progress').max = b.total || 1; $('farm-progress').value = finished;
  } else { $('farm-batch').textContent = 'no batch yet'; $('farm-progress').value = 0; }
  $('farm-progress').hidden = !b;
  $('farm-summary').textContent = `${live} worker(s) · ${total.toFixed(1)} images/min`;
}

// ---- folder picker ------------------------------------------------------------------------------------------

let browseSeq = 0;
async function browse(path) {
  const seq = ++browseSeq;
  const res = await api('GET', `/api/browse?path=${enc(path || '')}`);
  if (seq !== browseSeq) return; // a later click's folder owns the dialog (answers can come back out of order)
  const dlg = $('browser');
  dlg.dataset.path = res.path;
  $('browse-path').textContent = res.path || 'Opened roots';
  $('browse-up').disabled = !res.parent && !res.path;
  $('browse-up').onclick = guard(() => browse(res.parent || ''));
  // Buttons: reachable by Tab, opened with Enter or Space.
  $('browse-list').replaceChildren(...res.folders.map(f => el('li', {}, el('button', { class: 'folder', onclick: guard(() => browse(f.path)) }, f.name))));
  $('browse-files').textContent = res.files.length ? `${res.files.length} image(s): ${res.files.slice(0, 6).join(', ')}${res.files.length > 6 ? '…' : ''}` : '';
  $('browse-open').disabled = !res.path;
  if (!dlg.open) dlg.showModal();
}

// ---- state per folder: what belongs to a folder goes and comes back with it ----------------------------------------
// A folder's adjustments (all images' and each image's own), its charts and the choice for groups without one, and
// its "if outputs exist" choice belong to that folder: opening another folder starts that one from its own last state
// (kept in this browser's storage) or from defaults, so a new job never silently runs with the last job's denoise or
// overwrite. The demosaic, export format, bit depth, quality, colour space and naming are preferences: they stay, and
// the Export panel says so.

const FOLDER_KEY = 'imagespace.folder:';

function defaultAdjust() {
  return { exposureEv: 0, whiteBalance: 'asshot', shadows: 0, highlights: 0, denoise: 0, sharpen: 0, sharpenRadius: 1, maskClipped: false };
}

function saveFolderState() {
  const root = app.dataset?.root, r = app.recipe;
  if (!root || !r) return;
  try {
    localStorage.setItem(FOLDER_KEY + root, JSON.stringify({
      adjust: r.adjust, calibration: r.calibration, overwrite: !!r.export.overwrite, skipExisting: !!r.export.skipExisting,
    }));
  } catch { /* storage full or off: the folder starts from defaults next time */ }
}

/** "16" → "16-bit", "32 float" → "32-bit float" (the bit-depth select's option texts). */
function depthWords(option) {
  if (!option) return 'default depth';
  return option.includes(' ') ? option.replace(' ', '-bit ') : option + '-bit';
}

function savedFolderState(root) {
  try { return JSON.parse(localStorage.getItem(FOLDER_KEY + root) || 'null'); } catch { return null; }
}

/** The opened folder's own state onto the recipe the server gave it: the last one kept for it, or defaults. */
async function restoreFolderState(root) {
  const saved = savedFolderState(root), r = app.recipe;
  const fresh = { ...r.adjust, ...defaultAdjust(), exposureMultipliers: {}, images: {} };
  r.adjust = saved?.adjust ? { ...fresh, ...saved.adjust } : fresh;
  r.export.overwrite = !!saved?.overwrite;
  r.export.skipExisting = !!saved?.skipExisting;
  if (saved?.calibration) r.calibration = { ...r.calibration, ...saved.calibration };
  try { await api('PUT', '/api/recipe', r); }
  catch (e) {
    // Its charts are gone or moved: the adjustments and choices still come back, the charts do not.
    toast(`the folder's last charts could not be restored: ${e.message}`, true);
    r.calibration = (await api('GET', '/api/state')).recipe.calibration;
    await api('PUT', '/api/recipe', r);
  }
  app.state = await api('GET', '/api/state');
  adopt(app.state.recipe);
  const e = app.recipe.export;
  $('export-kept').textContent = `Kept from before (preferences): ${$('format').selectedOptions[0]?.textContent ?? e.format}` +
    // The bit depth as the select shows it (the recipe leaves it unset for the format's default).
    (e.format === 'jpg' ? `, quality ${e.quality}` : `, ${depthWords($('bit-depth').selectedOptions[0]?.textContent)}`) +
    `, naming ${app.recipe.naming.schema}${e.colorSpace ? ', ' + e.colorSpace : ''}` +
    ($('demosaic').value !== 'Full' ? `, ${$('demosaic').value.toUpperCase()} demosaic. ` : '. ') +
    (saved ? 'Adjustments, charts and the outputs-exist choice: as last left in this folder.' : 'Adjustments, charts and the outputs-exist choice: this folder\'s own (new: defaults).');
  return !!saved;
}

function setupBrowser() {
  $('open-folder').addEventListener('click', guard(() => browse(app.dataset?.root || '')));
  $('browse-cancel').addEventListener('click', () => $('browser').close());
  $('browse-open').addEventListener('click', guard(async () => {
    const path = $('browser').dataset.path;
    $('browser').close();
    saveFolderState();
    $('output').value = ''; $('project-path').value = '';
    const ds = await api('POST', '/api/open', { path });
    // The server forgets the previous folder's film mode, roll, charts and multipliers: show its state, not ours,
    // with this folder's own adjustments, charts and outputs-exist choice.
    app.state = await api('GET', '/api/state');
    adopt(app.state.recipe);
    app.dataset = null;
    const restored = await restoreFolderState(ds.root);
    undo.stack = [];
    toast(restored ? `${ds.root}: its adjustments and charts as last left` : `${ds.root}: adjustments at their defaults`);
    app.current = null; app.chart = null; app.statuses = {};
    $('report').replaceChildren(); $('flatten-view').hidden = true; $('chart-status').textContent = '';
    syncControls(); showAssigned(); drawOverlay(); setChartButtons();
    showDataset(ds);
  }));
}

// ---- settings, project, keys ------------------------------------------------------------------------------------

function applyTheme() { document.documentElement.dataset.theme = app.state.settings.theme || 'dark'; }

function setupMisc() {
  $('theme').addEventListener('click', guard(async () => {
    const s = { ...app.state.settings, theme: app.state.settings.theme === 'light' ? 'dark' : 'light' };
    app.state.settings = await api('PUT', '/api/settings', s);
    applyTheme();
  }));
  $('project-save').addEventListener('click', guard(async () => {
    await api('POST', '/api/project/save', { path: $('project-path').value });
    toast('project saved');
  }));
  $('project-load').addEventListener('click', guard(async () => {
    await api('POST', '/api/project/load', { path: $('project-path').value });
    await loadState();
    toast('project loaded');
  }));
  document.addEventListener('keydown', (ev) => {
    if (ev.target.closest('input:not([type=range]):not([type=checkbox]), select, textarea, dialog')) return;
    const ctrl = ev.ctrlKey || ev.metaKey;
    if (ctrl && !ev.shiftKey && ev.key.toLowerCase() === 'z') { ev.preventDefault(); undoLast(); return; }
    if (ctrl && ev.shiftKey && ev.key.toLowerCase() === 'c') { ev.preventDefault(); copySettings(); return; }
    if (ctrl && ev.shiftKey && ev.key.toLowerCase() === 'v') { ev.preventDefault(); pasteSettings(); return; }
    if (ctrl || ev.altKey) return;
    // Arrows belong to the control that has focus (a slider moves); they switch images only from the list.
    const inList = ev.target === document.body || !!ev.target.closest('#files');
    if (inList && (ev.key === 'ArrowDown' || ev.key === 'j')) { ev.preventDefault(); moveSelection(1); focusSelectedRow(ev); }
    else if (inList && (ev.key === 'ArrowUp' || ev.key === 'k')) { ev.preventDefault(); moveSelection(-1); focusSelectedRow(ev); }
    else if (inList && (ev.key === 'Home' || ev.key === 'End') && app.files.length) {
      ev.preventDefault();
      app.direction = ev.key === 'Home' ? 1 : -1;
      select(app.files[ev.key === 'Home' ? 0 : app.files.length - 1].path);
      focusSelectedRow(ev);
    }
    else if (ev.target.closest('input[type=range]')) return;
    else if (ev.key === 'f') fitView();
    else if (ev.key === '1' && app.fullSize) zoomTo(1);
    else if ((ev.key === '+' || ev.key === '=') && app.fullSize) zoomTo(app.view.scale * 1.25);
    else if (ev.key === '-' && app.fullSize) zoomTo(app.view.scale / 1.25);
    else if (ev.key === 'b') { $('before').checked = !$('before').checked; $('before-calibrated').disabled = !$('before').checked; renderPreview(); }
    else if (ev.key === 'Escape') setMode(null);
  });
  window.addEventListener('resize', () => { if (app.fullSize) fitView(); });
}

async function loadState() {
  app.state = await api('GET', '/api/state');
  adopt(app.state.recipe);
  applyTheme();
  $('film-stock').replaceChildren(...app.state.stocks.map(s => el('option', { value: s.id }, s.name)));
  syncControls();
  showAssigned();
  const ds = await api('GET', '/api/dataset');
  // The last output folder only for the folder it was chosen for (the server says which): another folder's images
  // must not go there unasked. Empty: the default beside the images.
  $('output').value = app.state.rememberedOutput || '';
  showDataset(ds);
}

setupStage();
setupValueBoxes();
setupNavigator();
setupFlatten();
setupControls();
setupBrowser();
setupMisc();
guard(loadState)();
