import { Body, Controller, Get, Header, HttpCode, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { NotificationPage, NotificationSettings, UnreadNotifications } from '@phr/shared-types';
import type { AuthUser } from '../identity/auth-user.js';
import { CurrentUser, Roles } from '../identity/decorators.js';
import { ApiErrors } from '../common/swagger.js';
import { MarkNotificationsReadDto, NotificationPageDto, NotificationQueryDto, NotificationSettingsDto, UnreadNotificationsDto } from './dto/notifications.dto.js';
import { NotificationsService } from './notifications.service.js';

@ApiTags('notifications')
@ApiBearerAuth()
@Controller('notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  @Roles('patient', 'doctor')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'The caller’s notifications, newest first: others’ accesses, refusals and shares in their own trail' })
  @ApiOkResponse({ type: NotificationPageDto })
  @ApiErrors(400, 401, 403)
  list(@CurrentUser() user: AuthUser, @Query() query: NotificationQueryDto): Promise<NotificationPage> {
    return this.notifications.page(user, query);
  }

  @Get('unread')
  @Roles('patient', 'doctor')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'How many notifications are unread (counted up to 100)' })
  @ApiOkResponse({ type: UnreadNotificationsDto })
  @ApiErrors(401, 403)
  unread(@CurrentUser() user: AuthUser): Promise<UnreadNotifications> {
    return this.notifications.unread(user);
  }

  @Post('read')
  @HttpCode(204)
  @Roles('patient', 'doctor')
  @ApiOperation({ summary: 'Mark every notification up to a seq of the caller’s trail as read' })
  @ApiNoContentResponse({ description: 'Marked' })
  @ApiErrors(400, 401, 403)
  markRead(@CurrentUser() user: AuthUser, @Body() body: MarkNotificationsReadDto): Promise<void> {
    return this.notifications.markRead(user, body);
  }

  @Get('settings')
  @Roles('patient', 'doctor')
  @ApiOperation({ summary: 'The kinds of notification the caller opted out of, in the portal and by mail' })
  @ApiOkResponse({ type: NotificationSettingsDto })
  @ApiErrors(401, 403)
  settings(@CurrentUser() user: AuthUser): Promise<NotificationSettings> {
    return this.notifications.settings(user);
  }

  @Put('settings')
  @Roles('patient', 'doctor')
  @ApiOperation({ summary: 'Replace the kinds of notification the caller opted out of' })
  @ApiOkResponse({ type: NotificationSettingsDto })
  @ApiErrors(400, 401, 403)
  updateSettings(@CurrentUser() user: AuthUser, @Body() body: NotificationSettingsDto): Promise<NotificationSettings> {
    return this.notifications.updateSettings(user, body);
  }
}
