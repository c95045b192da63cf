import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsObject, IsOptional, IsString, Length, Matches, ValidateNested } from 'class-validator';
import {
  AUTHENTICATOR_TRANSPORTS,
  SECURITY_KEY_NAME_MAX_LENGTH,
  type AddSecurityKeyRequest,
  type AssertionCredential,
  type AuthenticatorTransport,
  type RegistrationCredential,
  type RemoveSecurityKeyRequest,
  type SecurityKey,
  type SecurityKeyChallenge,
  type SecurityKeyCreationOptions,
  type SecurityKeyEnrolment,
  type SecurityKeyList,
  type SecurityKeyOptionsRequest,
  type SecurityKeyRequestOptions,
  type TotpChallenge,
  type WebAuthnLoginRequest,
} from '@phr/shared-types';
import type { Exact } from '../../../common/exact.js';
import { IsPlainText } from '../../../common/plain-text.js';
import { SessionResponseDto } from '../../sessions/dto/session.dto.js';
import { IsAuthKey, IsBase64Url, base64UrlLength } from '../../../identity/validators.js';

/** A credential id is at most 1023 bytes (WebAuthn §5.1). */
const CREDENTIAL_ID_CHARS = base64UrlLength(1023);
const ATTACHMENTS = ['platform', 'cross-platform'] as const;

const IsChallengeToken = () => IsBase64Url(base64UrlLength(32), base64UrlLength(32), 'Single-use token of the challenge, as the server issued it');

export class SecurityKeyOptionsDto implements SecurityKeyOptionsRequest {
  @ApiProperty({ minLength: 1, maxLength: SECURITY_KEY_NAME_MAX_LENGTH, example: 'Blue key on my keyring' })
  @IsPlainText(1, SECURITY_KEY_NAME_MAX_LENGTH)
  name: string;
}
true satisfies Exact<SecurityKeyOptionsDto, SecurityKeyOptionsRequest>;

export class AttestationResponseDto {
  @IsBase64Url(20, 4096, 'clientDataJSON as the browser made it') clientDataJSON: string;
  @IsBase64Url(40, 32768, 'CBOR attestation object') attestationObject: string;

  @ApiPropertyOptional({ type: [String], enum: AUTHENTICATOR_TRANSPORTS })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(AUTHENTICATOR_TRANSPORTS.length)
  @IsIn(AUTHENTICATOR_TRANSPORTS, { each: true })
  transports?: AuthenticatorTransport[];
}

export class AssertionResponseDto {
  @IsBase64Url(20, 4096, 'clientDataJSON as the browser made it') clientDataJSON: string;
  @IsBase64Url(50, 4096, 'authenticator data') authenticatorData: string;
  @IsBase64Url(8, 1024, 'signature over authenticatorData ‖ SHA-256(clientDataJSON)') signature: string;

  @ApiPropertyOptional({ type: String })
  @IsOptional()
  @IsString()
  @Length(0, 128)
  @Matches(/^[A-Za-z0-9_-]*$/, { message: '$property must be base64url without padding' })
  userHandle?: string;
}

/** The fields every PublicKeyCredential carries. */
abstract class CredentialDto {
  @IsBase64Url(16, CREDENTIAL_ID_CHARS, 'credential id') id: string;
  @IsBase64Url(16, CREDENTIAL_ID_CHARS, 'credential id (the same bytes as id)') rawId: string;

  @ApiProperty({ enum: ['public-key'] })
  @IsIn(['public-key'])
  type: 'public-key';

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Extension outputs; none are requested' })
  @IsObject()
  clientExtensionResults: Record<string, unknown>;

  @ApiPropertyOptional({ enum: ATTACHMENTS })
  @IsOptional()
  @IsIn(ATTACHMENTS)
  authenticatorAttachment?: 'platform' | 'cross-platform';
}

export class RegistrationCredentialDto extends CredentialDto implements RegistrationCredential {
  @ApiProperty({ type: AttestationResponseDto })
  @IsObject()
  @ValidateNested()
  @Type(() => AttestationResponseDto)
  response: AttestationResponseDto;
}
true satisfies Exact<RegistrationCredentialDto, RegistrationCredential>;

export class AssertionCredentialDto extends CredentialDto implements AssertionCredential {
  @ApiProperty({ type: AssertionResponseDto })
  @IsObject()
  @ValidateNested()
  @Type(() => AssertionResponseDto)
  response: AssertionResponseDto;
}
true satisfies Exact<AssertionCredentialDto, AssertionCredential>;

export class AddSecurityKeyDto implements AddSecurityKeyRequest {
  @IsChallengeToken() challengeToken: string;

  @ApiProperty({ type: RegistrationCredentialDto, description: 'The PublicKeyCredential from navigator.credentials.create(), binary fields base64url' })
  @IsObject()
  @ValidateNested()
  @Type(() => RegistrationCredentialDto)
  credential: RegistrationCredentialDto;
}
true satisfies Exact<AddSecurityKeyDto, AddSecurityKeyRequest>;

export class WebAuthnLoginDto implements WebAuthnLoginRequest {
  @IsChallengeToken() challengeToken: string;

  @ApiProperty({ type: AssertionCredentialDto, description: 'The PublicKeyCredential from navigator.credentials.get(), binary fields base64url' })
  @IsObject()
  @ValidateNested()
  @Type(() => AssertionCredentialDto)
  credential: AssertionCredentialDto;
}
true satisfies Exact<WebAuthnLoginDto, WebAuthnLoginRequest>;

export class RemoveSecurityKeyDto implements RemoveSecurityKeyRequest {
  @IsAuthKey('auth key derived from the current password (re-authentication)')
  currentAuthKey: string;
}
true satisfies Exact<RemoveSecurityKeyDto, RemoveSecurityKeyRequest>;

export class SecurityKeyDto implements SecurityKey {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastUsedAt: string | null;
}
true satisfies Exact<SecurityKeyDto, SecurityKey>;

export class SecurityKeyListDto implements SecurityKeyList {
  @ApiProperty({ type: [SecurityKeyDto] }) keys: SecurityKeyDto[];
}
true satisfies Exact<SecurityKeyListDto, SecurityKeyList>;

export class SecurityKeyEnrolmentDto implements SecurityKeyEnrolment {
  @ApiProperty() challengeToken: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'PublicKeyCredentialCreationOptions, binary fields base64url; attestation "none"' })
  options: SecurityKeyCreationOptions;
}
true satisfies Exact<SecurityKeyEnrolmentDto, SecurityKeyEnrolment>;

export class SecurityKeyChallengeDto implements SecurityKeyChallenge {
  @ApiProperty({ enum: ['webauthn'] }) secondFactor: 'webauthn';
  @ApiProperty({ description: 'Send it back with the assertion to POST /auth/login/webauthn (or, with acceptsTotp, with a code to POST /auth/login/totp); single use, 2 minutes' })
  challengeToken: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'PublicKeyCredentialRequestOptions, binary fields base64url' })
  options: SecurityKeyRequestOptions;
  @ApiProperty({ description: 'The account has an authenticator app too: its code may answer instead' }) acceptsTotp: boolean;
}
true satisfies Exact<SecurityKeyChallengeDto, SecurityKeyChallenge>;

export class TotpChallengeDto implements TotpChallenge {
  @ApiProperty({ enum: ['totp'] }) secondFactor: 'totp';
  @ApiProperty({ description: 'Send it back with the code to POST /auth/login/totp; single use, 2 minutes' }) challengeToken: string;
}
true satisfies Exact<TotpChallengeDto, TotpChallenge>;

/** For the OpenAPI document: POST /auth/login answers one of these. */
export const LOGIN_RESPONSE_TYPES = [SessionResponseDto, SecurityKeyChallengeDto, TotpChallengeDto] as const;
