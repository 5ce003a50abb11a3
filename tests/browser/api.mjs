// The API calls the browser test makes directly (to generate traffic and to know the truth).

/** A small client for the Cleave API. */
export class Api {
  constructor(base, token) {
    this.base = base;
    this.token = token;
  }

  async call(method, path, body) {
    const response = await fetch(this.base + path, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    return JSON.parse(text);
  }

  get(path) {
    return this.call('GET', path);
  }

  post(path, body) {
    return this.call('POST', path, body);
  }

  /**
   * Assigns `users` users, then tracks `checkout` for about a third of them and `signup`
   * for every fifth, through the public endpoints.
   */
  async traffic(id, users) {
    const path = `/api/v1/experiments/${encodeURIComponent(id)}`;
    let checkouts = 0;
    let signups = 0;
    for (let i = 0; i < users; i++) {
      await this.post(`${path}/assign`, { user_id: `browser-user-${i}` });
    }
    for (let i = 0; i < users; i++) {
      if (i % 3 === 0) {
        await this.post(`${path}/track`, { user_id: `browser-user-${i}`, event_name: 'checkout' });
        checkouts++;
      }
      if (i % 5 === 0) {
        await this.post(`${path}/track`, { user_id: `browser-user-${i}`, event_name: 'signup' });
        signups++;
      }
    }
    return { assigned: users, checkouts, signups };
  }
}
