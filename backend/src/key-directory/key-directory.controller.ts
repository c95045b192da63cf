import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { KEY_LOG_MAX_LEAVES_PER_PAGE, type ConsistencyProof, type KeyBindingProof, type KeyLogFrontier, type KeyLogLeaves, type SignedTreeHead } from '@phr/shared-types';
import { Roles } from '../identity/decorators.js';
import { uuidParam } from '../common/ids.js';
import { ApiErrors } from '../common/swagger.js';
import {
  ConsistencyProofDto,
  ConsistencyQueryDto,
  KeyBindingProofDto,
  KeyBindingQueryDto,
  KeyLogFrontierDto,
  KeyLogFrontierQueryDto,
  KeyLogLeavesDto,
  KeyLogLeavesQueryDto,
  SignedTreeHeadDto,
} from './dto/key-directory.dto.js';
import { KeyDirectory } from './key-directory.service.js';

/** The key directory (docs/protocol.md "Key directory"): public to every signed-in account. */
@ApiTags('key directory')
@ApiBearerAuth()
@Controller('key-directory')
export class KeyDirectoryController {
  constructor(private readonly directory: KeyDirectory) {}

  @Get('head')
  @Roles('patient', 'doctor', 'auditor', 'operator')
  @ApiOperation({
    summary: 'The latest signed tree head of the key directory',
    description: 'Verify its signature with the log key the portal was built with, then check it extends the last head you kept (GET /key-directory/consistency).',
  })
  @ApiOkResponse({ type: SignedTreeHeadDto })
  @ApiErrors(401, 403)
  head(): Promise<SignedTreeHead> {
    return this.directory.latestHead();
  }

  @Get('bindings/:id')
  @Roles('patient', 'doctor', 'auditor', 'operator')
  @ApiOperation({
    summary: 'An account’s latest key binding in a tree, with its inclusion proof and that tree’s signed head',
    description: 'Check the head’s signature, then the proof (RFC 9162 §2.1.3.2) of the leaf built from the binding, before wrapping anything for the key. The id is taken in any case and answered in lower case.',
  })
  @ApiOkResponse({ type: KeyBindingProofDto })
  @ApiErrors(400, 401, 403, 404)
  binding(@Param('id', uuidParam()) userId: string, @Query() query: KeyBindingQueryDto): Promise<KeyBindingProof> {
    return this.directory.bindingProof(userId, query.treeSize);
  }

  @Get('consistency')
  @Roles('patient', 'doctor', 'auditor', 'operator')
  @ApiOperation({
    summary: 'A consistency proof between two tree sizes the directory has heads for',
    description: 'Proves the tree of size `to` extends the tree of size `from` (RFC 9162 §2.1.4): nothing logged before was changed or removed.',
  })
  @ApiOkResponse({ type: ConsistencyProofDto })
  @ApiErrors(400, 401, 403, 404)
  consistency(@Query() query: ConsistencyQueryDto): Promise<ConsistencyProof> {
    return this.directory.consistency(query.from, query.to);
  }

  @Get('leaves')
  @Roles('patient', 'doctor', 'auditor', 'operator')
  @ApiOperation({
    summary: `Leaves [start, end) of the directory, at most ${KEY_LOG_MAX_LEAVES_PER_PAGE} per call, for monitors that rebuild the tree`,
  })
  @ApiOkResponse({ type: KeyLogLeavesDto })
  @ApiErrors(400, 401, 403)
  leaves(@Query() query: KeyLogLeavesQueryDto): Promise<KeyLogLeaves> {
    return this.directory.leaves(query.start, query.end, KEY_LOG_MAX_LEAVES_PER_PAGE);
  }

  @Get('frontier')
  @Roles('patient', 'doctor', 'auditor', 'operator')
  @ApiOperation({
    summary: 'The compact range of a tree the directory has a head for: its perfect subtrees’ root hashes',
    description:
      'Fold them from the right to the kept head’s root, append the leaves since (GET /key-directory/leaves) and fold again to the new head’s root: then no leaf since the kept head was left out or changed (docs/protocol.md "Key directory").',
  })
  @ApiOkResponse({ type: KeyLogFrontierDto })
  @ApiErrors(400, 401, 403, 404)
  frontier(@Query() query: KeyLogFrontierQueryDto): Promise<KeyLogFrontier> {
    return this.directory.frontier(query.treeSize);
  }
}
