import { ApiProperty } from '@nestjs/swagger';
import { API_TOKEN_LABEL_MAX_LENGTH, API_TOKEN_SECONDS, type ApiTokenIssued, type ApiTokenList, type ApiTokenSummary, type IssueApiTokenRequest } from '@phr/shared-types';
import { IsPlainText } from '../../../common/plain-text.js';
import type { Exact } from '../../../common/exact.js';

export class ApiTokenSummaryDto implements ApiTokenSummary {
  @ApiProperty({ format: 'uuid', description: 'The token’s session id: DELETE /api/api-tokens/{id} ends it' }) id: string;
  @ApiProperty({ example: 'Swagger UI' }) label: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', description: `${API_TOKEN_SECONDS / 60} minutes after it was issued; it cannot be refreshed` }) expiresAt: string;
}
true satisfies Exact<ApiTokenSummaryDto, ApiTokenSummary>;

export class ApiTokenIssuedDto extends ApiTokenSummaryDto implements ApiTokenIssued {
  @ApiProperty({ description: 'Bearer token with scope "read": GET and HEAD requests only. Shown once; the API keeps no copy.' }) accessToken: string;
  @ApiProperty({ example: API_TOKEN_SECONDS, description: 'Seconds until it expires' }) expiresIn: number;
}
true satisfies Exact<ApiTokenIssuedDto, ApiTokenIssued>;

export class ApiTokenListDto implements ApiTokenList {
  @ApiProperty({ type: [ApiTokenSummaryDto] }) items: ApiTokenSummaryDto[];
}
true satisfies Exact<ApiTokenListDto, ApiTokenList>;

export class IssueApiTokenDto implements IssueApiTokenRequest {
  @ApiProperty({ type: String, minLength: 1, maxLength: API_TOKEN_LABEL_MAX_LENGTH, example: 'Swagger UI', description: 'What the token is for; one line, shown in the list' })
  @IsPlainText(1, API_TOKEN_LABEL_MAX_LENGTH)
  label: string;
}
true satisfies Exact<IssueApiTokenDto, IssueApiTokenRequest>;
