// errors.js — the one error type the API throws for bad input: model files
// that are truncated, damaged or unsupported, images of the wrong kind or
// size, use after dispose(). Messages come from the C++ core unchanged when
// the core found the problem.
export class QwasmError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'QwasmError';
  }
}
