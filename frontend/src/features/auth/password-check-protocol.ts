/** Messages between the page and the password-check worker (password-check-worker.ts). */
import { assessPassword, type PasswordAssessment } from './password-strength.js';

export interface PasswordCheckRequest {
  id: number;
  password: string;
  userInputs: string[];
}

export type PasswordCheckResponse = { id: number; ok: true; assessment: PasswordAssessment } | { id: number; ok: false; message: string };

export async function answerPasswordCheck(request: PasswordCheckRequest): Promise<PasswordCheckResponse> {
  try {
    return { id: request.id, ok: true, assessment: await assessPassword(request.password, request.userInputs) };
  } catch (error) {
    return { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}
