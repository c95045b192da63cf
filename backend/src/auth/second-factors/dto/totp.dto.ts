import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { TOTP_DIGITS, type RemoveTotpRequest, type TotpCodeRequest, type TotpEnrolment, type TotpLoginRequest, type TotpStatus } from '@phr/shared-types';
import type { Exact } from '../../../common/exact.js';
import { IsAuthKey, IsBase64Url, base64UrlLength } from '../../../identity/validators.js';

/** TOTP_DIGITS (6) digits. */
const CODE = /^\d{6}$/;

/** The digits an authenticator app shows; never in a URL (docs/protocol.md "Second factors"). */
const IsTotpCode = (): PropertyDecorator => {
  const decorators = [
    ApiProperty({ pattern: CODE.source, example: '123456', description: `The ${TOTP_DIGITS} digits the authenticator app shows now` }),
    IsString(),
    Matches(CODE, { message: `$property must be the ${TOTP_DIGITS} digits the authenticator app shows` }),
  ];
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
};

export class TotpCodeDto implements TotpCodeRequest {
  @IsTotpCode() code: string;
}
true satisfies Exact<TotpCodeDto, TotpCodeRequest>;

export class TotpLoginDto implements TotpLoginRequest {
  @IsBase64Url(base64UrlLength(32), base64UrlLength(32), 'Single-use token of the sign-in, as POST /auth/login gave it') challengeToken: string;
  @IsTotpCode() code: string;
}
true satisfies Exact<TotpLoginDto, TotpLoginRequest>;

export class RemoveTotpDto implements RemoveTotpRequest {
  @IsAuthKey('auth key derived from the current password (re-authentication)')
  currentAuthKey: string;
}
true satisfies Exact<RemoveTotpDto, RemoveTotpRequest>;

export class TotpEnrolmentDto implements TotpEnrolment {
  @ApiProperty({ description: 'The secret (160 bits) in base32 without padding, to type into an authenticator app' }) secret: string;
  @ApiProperty({ description: 'otpauth://totp/… URI with the secret, issuer, algorithm SHA1, 6 digits, period 30', example: 'otpauth://totp/Patient-held%20records:alice%40example.org?issuer=Patient-held%20records&secret=…&algorithm=SHA1&digits=6&period=30' })
  uri: string;
}
true satisfies Exact<TotpEnrolmentDto, TotpEnrolment>;

export class TotpStatusDto implements TotpStatus {
  @ApiProperty({ description: 'Confirmed with a code: sign-in asks for one' }) isActive: boolean;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) confirmedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastUsedAt: string | null;
}
true satisfies Exact<TotpStatusDto, TotpStatus>;
