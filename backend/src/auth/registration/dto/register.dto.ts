import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import {
  DISPLAY_NAME_MAX_LENGTH,
  LICENCE_MAX_LENGTH,
  ORGANISATION_MAX_LENGTH,
  PRIVACY_NOTICE_VERSION,
  REGISTRATION_TOKEN_BYTES,
  SPECIALTY_MAX_LENGTH,
  SELF_REGISTERING_ROLES,
  type AccountKeyMaterial,
  type RegisterInvitedRequest,
  type RegisterRequest,
  type RegistrationStarted,
  type SelfRegisteringRole,
  type StartRegistrationRequest,
} from '@phr/shared-types';
import type { Exact } from '../../../common/exact.js';
import { IsPlainText } from '../../../common/plain-text.js';
import { RecoveryMaterialDto } from '../../../contract/key-material.dto.js';
import { KdfParamsDto } from '../../credentials/dto/kdf-params.dto.js';
import { KEY_FIELDS } from '../../../identity/protocol-descriptions.js';
import { base64UrlLength, IsAccountEmail, IsAuthKey, IsBase64Url, IsPublicKey, IsSealedKey } from '../../../identity/validators.js';

export class AccountKeyMaterialDto implements AccountKeyMaterial {
  @IsSealedKey(KEY_FIELDS.wrappedAccountKey)
  wrappedAccountKey: string;

  @IsPublicKey(KEY_FIELDS.publicKey)
  publicKey: string;

  @IsSealedKey(KEY_FIELDS.wrappedPrivateKey)
  wrappedPrivateKey: string;
}
true satisfies Exact<AccountKeyMaterialDto, AccountKeyMaterial>;

export class StartRegistrationDto implements StartRegistrationRequest {
  @IsAccountEmail()
  email: string;

  @ApiPropertyOptional({ enum: SELF_REGISTERING_ROLES, description: 'Which form the link opens; patient by default' })
  @IsOptional()
  @IsIn(SELF_REGISTERING_ROLES)
  role?: SelfRegisteringRole;
}
true satisfies Exact<StartRegistrationDto, StartRegistrationRequest>;

export class RegistrationStartedDto implements RegistrationStarted {
  @ApiProperty({ description: 'How long a link sent by this request stays valid, in seconds' }) linkExpiresInSeconds: number;
}
true satisfies Exact<RegistrationStartedDto, RegistrationStarted>;

export class RegisterDto implements RegisterRequest {
  @IsBase64Url(
    base64UrlLength(REGISTRATION_TOKEN_BYTES),
    base64UrlLength(REGISTRATION_TOKEN_BYTES),
    'The single-use token of the registration link that POST /auth/register/start mailed to this email',
  )
  registrationToken: string;

  @IsAccountEmail()
  email: string;

  @ApiProperty({ type: String, minLength: 1, maxLength: DISPLAY_NAME_MAX_LENGTH, example: 'Ada Lovelace', description: 'One line, not blank, no control or bidirectional-override characters' })
  @IsPlainText(1, DISPLAY_NAME_MAX_LENGTH)
  displayName: string;

  @ApiProperty({ enum: SELF_REGISTERING_ROLES })
  @IsIn(SELF_REGISTERING_ROLES)
  role: SelfRegisteringRole;

  @ApiPropertyOptional({ type: String, maxLength: SPECIALTY_MAX_LENGTH, example: 'Cardiology', description: "A doctor's specialty, shown to patients who search for them; one line, not blank" })
  @IsOptional()
  @IsPlainText(1, SPECIALTY_MAX_LENGTH)
  specialty?: string;

  @ApiPropertyOptional({ type: String, maxLength: LICENCE_MAX_LENGTH, example: 'GMC 7012345', description: "A doctor's licence or registration number: required for a doctor, refused otherwise; an operator checks it before approving" })
  @IsOptional()
  @IsPlainText(1, LICENCE_MAX_LENGTH)
  licence?: string;

  @ApiPropertyOptional({ type: String, maxLength: ORGANISATION_MAX_LENGTH, example: 'St Mary’s Hospital', description: "A doctor's organisation: required for a doctor, refused otherwise; shown to patients once approved" })
  @IsOptional()
  @IsPlainText(1, ORGANISATION_MAX_LENGTH)
  organisation?: string;

  @IsAuthKey(KEY_FIELDS.authKey)
  authKey: string;

  // IsObject on every nested field: ValidateNested alone lets a missing one through to the service (found by the dynamic scan).
  @ApiProperty({ type: KdfParamsDto })
  @IsObject()
  @ValidateNested()
  @Type(() => KdfParamsDto)
  kdf: KdfParamsDto;

  @ApiProperty({ type: AccountKeyMaterialDto })
  @IsObject()
  @ValidateNested()
  @Type(() => AccountKeyMaterialDto)
  keys: AccountKeyMaterialDto;

  @ApiProperty({ type: RecoveryMaterialDto })
  @IsObject()
  @ValidateNested()
  @Type(() => RecoveryMaterialDto)
  recovery: RecoveryMaterialDto;

  @ApiProperty({
    type: String,
    enum: [PRIVACY_NOTICE_VERSION],
    description: 'The version of the privacy notice the person accepted (the unticked box they ticked); only the current one is accepted',
  })
  @IsIn([PRIVACY_NOTICE_VERSION], { message: `privacyNoticeVersion must be ${PRIVACY_NOTICE_VERSION}: the privacy notice must be read and accepted` })
  privacyNoticeVersion: string;
}
true satisfies Exact<RegisterDto, RegisterRequest>;

export class RegisterInvitedDto
  extends OmitType(RegisterDto, ['registrationToken', 'role', 'specialty', 'displayName', 'licence', 'organisation'] as const)
  implements RegisterInvitedRequest
{
  @ApiProperty({ type: String, description: 'The one-time code of the invitation: printed by create-auditor or create-operator, or mailed to a clinician an operator invited' })
  @IsString()
  @Length(20, 100)
  invitation: string;
}
true satisfies Exact<RegisterInvitedDto, RegisterInvitedRequest>;
