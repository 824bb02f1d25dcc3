/** A request the simulated API rejects; the server turns it into a JSON:API error response. */
export class SimulatorRequestError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'SimulatorRequestError';
    this.status = status;
  }
}

export class NotFoundError extends SimulatorRequestError {
  constructor(message = 'Not found') {
    super(404, message);
    this.name = 'NotFoundError';
  }
}

export class BadRequestError extends SimulatorRequestError {
  constructor(message: string) {
    super(400, message);
    this.name = 'BadRequestError';
  }
}
