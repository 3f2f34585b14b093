// The chat page's client. It talks only to the function app: `negotiate` (through the official
// @microsoft/signalr client, which then connects to the SignalR Service URL the function returns), and the hub
// methods the app's SignalR trigger functions implement, called with connection.invoke: broadcast,
// sendToUser, sendToGroup, joinGroup, leaveGroup (the service forwards them to the app's upstream endpoint).
// The page is served by the `chatPage` function, whose <base href> points at this folder, so the API lives one
// level up.
(function () {
  'use strict';

  const apiBase = new URL('..', document.baseURI).pathname.replace(/\/$/, '');
  const $ = (id) => document.getElementById(id);
  // `signedIn`: App Service / Functions authentication vouches for the user (x-ms-client-principal-id), so the
  // page never states a user id itself; otherwise (local development) the user picks a name and the app
  // honours it only when SignalRAllowClientUserId is true.
  const state = { user: '', signedIn: false, connection: null, groups: new Set() };

  function setStatus(kind, text) {
    $('status').className = 'status ' + kind;
    $('status-text').textContent = text;
    $('send').disabled = kind !== 'connected';
    $('join-group').disabled = kind !== 'connected';
  }

  // Calls a hub method. The service forwards it to the app's SignalR trigger function for it, which knows the
  // caller from its connection's token; the promise settles with the function's return value or its error.
  async function invoke(method, ...args) {
    const connection = state.connection;
    if (!connection || connection.state !== signalR.HubConnectionState.Connected) throw new Error('Not connected yet.');
    return connection.invoke(method, ...args);
  }

  function formatTime(value) {
    const date = value ? new Date(value) : new Date();
    return isNaN(date.getTime()) ? '' : date.toLocaleTimeString();
  }

  function addMessage(message) {
    const item = document.createElement('li');
    if (message.sender === state.user) item.classList.add('mine');
    const meta = document.createElement('div');
    meta.className = 'meta';
    const sender = document.createElement('span');
    sender.className = 'sender';
    sender.textContent = message.sender || 'anonymous';
    meta.appendChild(sender);
    meta.appendChild(document.createTextNode(' · ' + formatTime(message.sentAt)));
    if (message.to && message.to.kind !== 'all') {
      const scope = document.createElement('span');
      scope.className = 'scope';
      scope.textContent = message.to.kind === 'user' ? 'to ' + message.to.name : 'in ' + message.to.name;
      meta.appendChild(scope);
    }
    const text = document.createElement('div');
    text.className = 'text';
    text.textContent = String(message.text == null ? '' : message.text);
    item.appendChild(meta);
    item.appendChild(text);
    appendItem(item);
  }

  function addSystemLine(text) {
    const item = document.createElement('li');
    item.className = 'system';
    item.textContent = formatTime() + ' ' + text;
    appendItem(item);
  }

  function appendItem(item) {
    const list = $('messages');
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }

  function renderGroups() {
    // Group membership is kept by the service per user, so it survives a reload: remember it for the UI too.
    sessionStorage.setItem('chat-groups', JSON.stringify([...state.groups]));
    const list = $('groups');
    list.textContent = '';
    for (const group of [...state.groups].sort()) {
      const item = document.createElement('li');
      const name = document.createElement('span');
      name.textContent = group;
      const leave = document.createElement('button');
      leave.className = 'secondary';
      leave.textContent = 'Leave';
      leave.dataset.group = group;
      leave.addEventListener('click', () => leaveGroup(group));
      item.appendChild(name);
      item.appendChild(leave);
      list.appendChild(item);
    }
  }

  function showError(id, error) {
    const element = $(id);
    element.textContent = error ? String(error.message || error) : '';
    element.hidden = !error;
  }

  async function joinGroup(group) {
    try {
      const groups = await invoke('joinGroup', group);
      state.groups.add(group);
      for (const name of groups) state.groups.add(String(name));
      renderGroups();
      addSystemLine('You joined ' + group);
      showError('send-error', null);
    } catch (error) {
      showError('send-error', error);
    }
  }

  async function leaveGroup(group) {
    try {
      const groups = await invoke('leaveGroup', group);
      state.groups.delete(group);
      for (const name of groups) if (name !== group) state.groups.add(String(name));
      renderGroups();
      addSystemLine('You left ' + group);
      showError('send-error', null);
    } catch (error) {
      showError('send-error', error);
    }
  }

  async function send(event) {
    event.preventDefault();
    const text = $('text').value.trim();
    if (!text) return;
    const kind = $('scope').value;
    const recipient = $('recipient').value.trim();
    if (kind !== 'all' && !recipient) {
      showError('send-error', new Error(kind === 'user' ? 'Enter the user to write to.' : 'Enter the group to write to.'));
      return;
    }
    try {
      const sent = kind === 'user' ? await invoke('sendToUser', recipient, text)
        : kind === 'group' ? await invoke('sendToGroup', recipient, text)
        : await invoke('broadcast', text);
      $('text').value = '';
      showError('send-error', null);
      // A direct message, or one to a group we are not in, does not come back to its sender: show the one the
      // hub method returns, as it was sent.
      if ((kind === 'user' && recipient !== state.user) || (kind === 'group' && !state.groups.has(recipient))) addMessage(sent);
    } catch (error) {
      showError('send-error', error);
    }
  }

  async function connect(user) {
    state.user = user;
    // The client POSTs {url}/negotiate; signed in, the platform's header names the user, otherwise the user id
    // rides in the negotiate query (userId), which the negotiate function reads.
    const negotiateBase = state.signedIn ? apiBase : apiBase + '?userId=' + encodeURIComponent(user);
    const connection = new signalR.HubConnectionBuilder()
      .withUrl(negotiateBase)
      .withAutomaticReconnect({ nextRetryDelayInMilliseconds: (context) => Math.min(1000 * 2 ** context.previousRetryCount, 10000) })
      .configureLogging(signalR.LogLevel.Warning)
      .build();
    connection.on('newMessage', addMessage);
    // Presence: the app's connected/disconnected functions announce users (userLeft once their last tab closed).
    connection.on('userJoined', (event) => {
      if (event && event.userId && event.userId !== state.user) addSystemLine(event.userId + ' joined');
    });
    connection.on('userLeft', (event) => {
      if (event && event.userId && event.userId !== state.user) addSystemLine(event.userId + ' left');
    });
    connection.onreconnecting(() => setStatus('reconnecting', 'Reconnecting…'));
    connection.onreconnected(() => {
      setStatus('connected', 'Connected');
      $('connection-id').textContent = connection.connectionId || '-';
      addSystemLine('Reconnected');
    });
    connection.onclose((error) => {
      setStatus('disconnected', 'Disconnected');
      addSystemLine('Disconnected' + (error ? ': ' + error.message : ''));
      // Automatic reconnect gave up (or the service closed us): keep trying, slowly.
      setTimeout(() => start(connection), 5000);
    });
    state.connection = connection;
    await start(connection);
  }

  async function start(connection) {
    if (connection.state !== signalR.HubConnectionState.Disconnected) return;
    setStatus('reconnecting', 'Connecting…');
    try {
      await connection.start();
      setStatus('connected', 'Connected');
      $('connection-id').textContent = connection.connectionId || '-';
      showError('login-error', null);
    } catch (error) {
      setStatus('disconnected', 'Not connected');
      showError('send-error', error);
      setTimeout(() => start(connection), 3000);
    }
  }

  $('scope').addEventListener('change', () => {
    const kind = $('scope').value;
    $('recipient').hidden = kind === 'all';
    $('recipient').placeholder = kind === 'user' ? 'user name' : 'group name';
  });
  $('send-form').addEventListener('submit', send);
  $('group-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const group = $('group-name').value.trim();
    if (group) joinGroup(group);
    $('group-name').value = '';
  });
  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const user = $('name').value.trim();
    if (!user) return;
    sessionStorage.setItem('chat-user', user);
    enter(user);
  });

  function enter(user) {
    try {
      const saved = JSON.parse(sessionStorage.getItem('chat-groups') || '[]');
      if (Array.isArray(saved)) saved.forEach((group) => state.groups.add(String(group)));
    } catch (_) { /* ignore a damaged entry */ }
    renderGroups();
    $('login').hidden = true;
    $('chat').hidden = false;
    $('me').textContent = user;
    setStatus('disconnected', 'Not connected');
    connect(user);
  }

  /** The user id the app will use for a signed-in caller: the one negotiate puts in the token (asrs.s.uid). */
  async function signedInUserId() {
    const response = await fetch(apiBase + '/negotiate', { method: 'POST' });
    if (!response.ok) throw new Error('negotiate answered ' + response.status);
    const { accessToken } = await response.json();
    const payload = accessToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(payload + '='.repeat((4 - (payload.length % 4)) % 4)));
    return claims['asrs.s.uid'] || '';
  }

  /** True when App Service authentication has signed this browser in (/.auth/me lists a principal). */
  async function platformSignIn() {
    try {
      const response = await fetch('/.auth/me', { credentials: 'same-origin' });
      if (!response.ok) return false;
      const principals = await response.json();
      return Array.isArray(principals) ? principals.length > 0 : Boolean(principals && principals.clientPrincipal);
    } catch (_) {
      return false;
    }
  }

  (async () => {
    if (await platformSignIn()) {
      state.signedIn = true;
      try {
        const user = await signedInUserId();
        if (user) return enter(user);
      } catch (error) {
        showError('login-error', error);
      }
      state.signedIn = false;
    }
    // A reload keeps the chosen name for this tab, so the page reconnects as the same user.
    const saved = new URLSearchParams(location.search).get('user') || sessionStorage.getItem('chat-user');
    if (saved) enter(saved);
    else setStatus('disconnected', 'Not connected');
  })();
})();
