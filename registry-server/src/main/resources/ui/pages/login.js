import * as api from '../api.js';
import {h, status} from '../dom.js';
import {go} from '../router.js';

export async function loginPage() {
  const session = api.currentSession();
  if (session.mode === 'none') {
    return h('section', {}, h('h1', {}, 'Log in'), h('p', {}, 'This registry does not require authentication.'));
  }
  const error = h('p', {id: 'login-error', class: 'error', role: 'alert'});
  const user = h('input', {id: 'login-user', name: 'username', autocomplete: 'username', required: true});
  const password = h('input', {id: 'login-password', name: 'password', type: 'password',
    autocomplete: 'current-password', required: true});
  const form = h('form', {class: 'login', onsubmit: async event => {
    event.preventDefault();
    error.textContent = '';
    try {
      await api.login(user.value, password.value);
      status('Signed in as ' + user.value);
      go('repositories');
    } catch (e) {
      error.textContent = e.status === 401 ? 'Wrong user name or password.'
        : e.status === 429 ? 'Too many failed attempts; try again later.' : e.message;
      password.value = '';
      password.focus();
    }
  }},
  h('label', {for: 'login-user'}, 'User name'), user,
  h('label', {for: 'login-password'}, 'Password'), password,
  h('button', {type: 'submit', id: 'login-submit'}, 'Log in'), error);
  return h('section', {}, h('h1', {}, 'Log in'), form);
}
