// Entry point: renders the page the hash names (see router.js) and keeps the header's login state.
import * as api from './api.js';
import {replace, h, status} from './dom.js';
import {repositoriesPage} from './pages/repositories.js';
import {repositoryPage} from './pages/repository.js';
import {manifestPage} from './pages/manifest.js';
import {adminPage} from './pages/admin.js';
import {loginPage} from './pages/login.js';
import {current, go, link} from './router.js';

const routes = {
  repositories: repositoriesPage,
  repository: repositoryPage,
  manifest: manifestPage,
  admin: adminPage,
  login: loginPage,
};

function header() {
  const s = api.currentSession();
  document.getElementById('who-name').textContent = s.user ? 'Signed in as ' + s.user : '';
  document.getElementById('nav-login').hidden = s.mode === 'none' || !!s.user;
  document.getElementById('nav-logout').hidden = !s.user;
  document.getElementById('nav-admin').hidden = !s.admin;
}

let generation = 0;

export async function render() {
  const {page, params} = current();
  const view = routes[page] || repositoriesPage;
  const main = document.getElementById('main');
  const mine = ++generation;
  const started = performance.now();
  header();
  main.setAttribute('aria-busy', 'true');
  status('Loading…');
  try {
    const content = await view(params);
    if (mine !== generation) return; // a later navigation won
    replace(main, content);
    status('');
    done(main, started);
    const heading = main.querySelector('h1');
    if (heading) document.title = heading.textContent + ' · Berth';
  } catch (e) {
    if (mine !== generation) return;
    const hint = e.status === 404 && !api.currentSession().user && api.currentSession().mode !== 'none'
      ? h('p', {}, 'It may need you to ', h('a', {href: link('login')}, 'log in'), '.') : null;
    replace(main, h('h1', {}, 'Something went wrong'), h('p', {class: 'error'}, e.message), hint);
    status(e.message, true);
    done(main, started);
  }
}

/** Marks the render finished, for which hash and after how long (tests and assistive technology wait on it). */
function done(main, started) {
  main.removeAttribute('aria-busy');
  document.body.dataset.renderMs = String(Math.round(performance.now() - started));
  document.body.dataset.rendered = location.hash;
}

async function start() {
  document.querySelector('.skip').addEventListener('click', event => {
    event.preventDefault();
    document.getElementById('main').focus();
  });
  document.getElementById('nav-logout').addEventListener('click', () => {
    api.logout();
    go('repositories');
    render();
  });
  window.addEventListener('hashchange', render);
  try {
    await api.loadSession();
  } catch (e) {
    status('Cannot reach the registry: ' + e.message, true);
  }
  await render();
}

start();
