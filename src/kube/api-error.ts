// The API's error: what http.ts sends as a meta/v1 Status (code, reason, message, details),
// with kube-apiserver's codes and reasons (k8s.io/apimachinery/pkg/api/errors).

export interface StatusDetails { name?: string; group?: string; kind?: string; causes?: { reason: string; message: string; field: string }[] }

export class ApiError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string, readonly details?: StatusDetails) {
    super(message);
  }
}
