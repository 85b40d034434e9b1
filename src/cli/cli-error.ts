/** An error the CLI reports as one line, with its exit status: 2 for a usage mistake (as getopt tools do), 1 otherwise. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
  }
}
