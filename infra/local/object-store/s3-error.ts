/**
 * A refusal the proxy sends instead of forwarding a request, shaped like S3's own
 * errors so that S3 clients (minio, the AWS SDK, our frontend) parse it as usual.
 */
export class S3Rejection extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra elements of the XML error (S3 adds e.g. StringToSign to help debug clients). */
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'S3Rejection';
  }

  toXml(): string {
    const elements = [
      element('Code', this.code),
      element('Message', this.message),
      ...Object.entries(this.details).map(([name, value]) => element(name, value)),
    ];
    return `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${elements.join('')}</Error>`;
  }
}

export const accessDenied = (message: string): S3Rejection => new S3Rejection(403, 'AccessDenied', message);

function element(name: string, value: string): string {
  return `<${name}>${escapeXml(value)}</${name}>`;
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (char) => `&#${char.charCodeAt(0)};`);
}
