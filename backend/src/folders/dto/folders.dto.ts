import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { Folder, FolderList, FolderRequest } from '@phr/shared-types';
import { KEY_FIELDS } from '../../identity/protocol-descriptions.js';
import { IsBase64Url } from '../../identity/validators.js';
import type { Exact } from '../../common/exact.js';

export class FolderRequestDto implements FolderRequest {
  @IsBase64Url(40, 2048, KEY_FIELDS.folderName)
  name: string;

  @ApiPropertyOptional({ type: Number, minimum: 1, description: 'The account-key generation that sealed the name (MyKeys.keyGeneration, or the rotation’s while one is under way); absent: the generation in force. A write under the wrong key is a 409 KEY_ROTATION' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(2 ** 31 - 1)
  keyGeneration?: number;
}
true satisfies Exact<FolderRequestDto, FolderRequest>;

export class FolderDto implements Folder {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: KEY_FIELDS.folderName }) name: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}
true satisfies Exact<FolderDto, Folder>;

export class FolderListDto implements FolderList {
  @ApiProperty({ type: [FolderDto] }) items: FolderDto[];
}
true satisfies Exact<FolderListDto, FolderList>;
