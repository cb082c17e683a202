/**
 * The launcher's own client of the admin API (docs/api.md), logged in as the generated admin:
 * the device list for the "all devices online" line and `status`, and the operator actions the
 * console offers (emergency open, mode switch) go through the same routes the dashboard uses,
 * so they are journaled with a user like any operator's. Logs in on first use and again when
 * the session has ended (401).
 */
export interface ApiDevice {
  deviceId: string;
  online: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class ApiClient {
  private token: string | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly user: string,
    private readonly password: string,
  ) {}

  async devices(): Promise<ApiDevice[]> {
    const body = (await this.call('GET', '/api/devices')) as { devices: ApiDevice[] };
    return body.devices;
  }

  async openLane(laneId: string, reason: string): Promise<void> {
    await this.call('POST', `/api/lanes/${encodeURIComponent(laneId)}/open`, { reason });
  }

  async setMode(mode: string, reason: string): Promise<void> {
    await this.call('PUT', '/api/site/mode', { mode, reason });
  }

  private async call(method: string, path: string, body?: unknown, again = true): Promise<unknown> {
    this.token ??= await this.login();
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (response.status === 401 && again) {
      this.token = undefined;
      return this.call(method, path, body, false);
    }
    return answer(response);
  }

  private async login(): Promise<string> {
    const response = await fetch(`${this.baseUrl}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: this.user, password: this.password }),
    });
    return ((await answer(response)) as { token: string }).token;
  }
}

async function answer(response: Response): Promise<unknown> {
  const text = await response.text();
  const body = text === '' ? {} : (JSON.parse(text) as unknown);
  if (!response.ok) {
    const { message, problems } = body as {
      message?: string;
      problems?: { field?: string; message: string }[];
    };
    const detail = (problems ?? []).map((p) => `${p.field ?? ''}: ${p.message}`).join('; ');
    throw new ApiError(
      response.status,
      `${message ?? `HTTP ${response.status}`}${detail ? ` (${detail})` : ''}`,
    );
  }
  return body;
}
