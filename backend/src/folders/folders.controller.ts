import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Folder, FolderList } from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { CurrentUser, Roles } from '../identity/decorators.js';
import { uuidParam } from '../common/ids.js';
import { AttemptTargets } from '../audit/attempt-targets.decorator.js';
import { ApiErrors } from '../common/swagger.js';
import { FolderDto, FolderListDto, FolderRequestDto } from './dto/folders.dto.js';
import { FoldersService } from './folders.service.js';

@ApiTags('folders')
@ApiBearerAuth()
@Roles('patient')
@Controller('folders')
export class FoldersController {
  constructor(private readonly folders: FoldersService) {}

  @Post()
  @ApiOperation({ summary: 'Create a folder (its name sealed in the browser)' })
  @ApiCreatedResponse({ type: FolderDto })
  @ApiErrors(400, 401, 403)
  create(@CurrentUser() user: AuthUser, @Body() body: FolderRequestDto): Promise<Folder> {
    return this.folders.create(user, body.name, body.keyGeneration);
  }

  @Get()
  @ApiOperation({ summary: 'The caller’s folders' })
  @ApiOkResponse({ type: FolderListDto })
  @ApiErrors(401, 403)
  list(@CurrentUser() user: AuthUser): Promise<FolderList> {
    return this.folders.list(user);
  }

  @Patch(':id')
  @AttemptTargets({ folder: 'param:id' })
  @ApiOperation({ summary: 'Rename a folder' })
  @ApiOkResponse({ type: FolderDto })
  @ApiErrors(400, 401, 403, 404)
  rename(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) folderId: string, @Body() body: FolderRequestDto): Promise<Folder> {
    return this.folders.rename(user, folderId, body.name, body.keyGeneration);
  }

  @Delete(':id')
  @AttemptTargets({ folder: 'param:id' })
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an empty folder' })
  @ApiNoContentResponse()
  @ApiErrors(400, 401, 403, 404, 409)
  delete(@CurrentUser() user: AuthUser, @Param('id', uuidParam()) folderId: string): Promise<void> {
    return this.folders.delete(user, folderId);
  }
}
