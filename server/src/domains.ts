import type { FastifyBaseLogger } from 'fastify';
import { createAdminModule } from './admin/module.ts';
import { createAgentService } from './agents/service.ts';
import { createAudit } from './audit/module.ts';
import { createBillingModule } from './billing/module.ts';
import { registerBillingChannel } from './billing/realtime.ts';
import { createChatModule } from './chat/module.ts';
import { registerConversationChannel } from './conversations/realtime.ts';
import { createConversationService } from './conversations/service.ts';
import { createErrorsModule } from './errors/module.ts';
import { createExecution } from './execution/module.ts';
import { createFilesModule } from './files/module.ts';
import { createFixesModule, type FixesModule } from './fixes/module.ts';
import { operatorOrgOf } from './identity/directory.ts';
import { createIdentity } from './identity/module.ts';
import type { AppContext } from './platform/context.ts';
import { createMailer } from './platform/mail.ts';
import { DEFAULT_MODEL } from './providers/models/resolver.ts';
import { createProvidersModule } from './providers/module.ts';
import { createRealtime } from './realtime/module.ts';
import { handleIntents } from './realtime/session.ts';
import { agentRunStats, executionMetrics, unfinishedRunCount } from './runs/metrics.ts';
import { createRunsModule } from './runs/module.ts';
import { registerRunsRealtime } from './runs/realtime.ts';
import { createTasksModule } from './tasks/module.ts';
import { createToolsModule } from './tools/module.ts';
import { createUsageModule } from './usage/module.ts';
import { createWebhooksModule } from './webhooks/module.ts';
import { createGettingStarted } from './workspace/getting-started.ts';
import { createWorkspaceModule } from './workspace/module.ts';

/**
 * The composition root. Each domain is built here, in order, and handed the others' service functions
 * it needs; no domain builds another. Where two domains need each other (runs open inbox approvals,
 * the inbox resumes runs; tools and providers ask which agents use them), the later one is reached
 * through a function that looks it up when called.
 */

/**
 * What executes work: agents, tools and providers, conversations, usage, runs with the inbox their
 * approvals go to, and execution. The API server and a worker-only process (`switchboard worker`)
 * both build these, so they execute runs in exactly the same way.
 */
/** What tests may set: the clock budgets and usage read periods by. */
export interface DomainOptions {
  clock?: (() => Date) | undefined;
}

/** The model of a new org's starter agent: the server's own provider when one is configured, else the built-in one. */
export function starterModel(config: AppContext['config']): string {
  if (config.providers.openai) return 'openai:gpt-4.1-mini';
  if (config.providers.anthropic) return 'anthropic:claude-sonnet-4-5';
  return DEFAULT_MODEL;
}

export function createCoreDomains(ctx: AppContext, log: FastifyBaseLogger, options: DomainOptions = {}) {
  const { db } = ctx.database;
  const { bus, config } = ctx;
  let billing: ReturnType<typeof createBillingModule> | undefined;
  const mailer = createMailer(config, log);
  const identity = createIdentity(db, bus, config, log, mailer, {
    seatGuard: (tx, orgId, count) => billing!.billing.assertRoom(tx, orgId, 'seats', count),
    orgCreated: async (orgId) => {
      await billing!.billing.orgCreated(orgId);
      // Every new org starts with an agent to talk to, on the server's model when it has one.
      await agents!.createStarter(orgId, starterModel(config));
    },
  });
  const audit = createAudit(db, { retentionDays: config.auditRetentionDays }, log);

  let agents: ReturnType<typeof createAgentService> | undefined;
  const roster = (orgId: string) => agents!.roster(orgId);
  const tools = createToolsModule({ db, config, log, holders: roster });
  const providers = createProvidersModule({ db, bus, config, modelUsers: roster });
  agents = createAgentService({
    db,
    bus,
    tools: tools.registry,
    providerExists: (orgId, name) => providers.service.exists(orgId, name),
    agentGuard: (tx, orgId, count) => billing!.billing.assertRoom(tx, orgId, 'agents', count),
  });
  const agentService = agents;
  const conversations = createConversationService({ db, agents: agentService, bus });
  const files = createFilesModule({
    db,
    bus,
    tools: tools.registry,
    maxBytes: config.files.maxBytes,
    memberOf: (orgId, userId) => identity.directory.memberOf(orgId, userId),
    names: (orgId, type, ids) =>
      type === 'agent' ? agentService.namesOf(orgId, ids) : identity.directory.namesOf(orgId, type, ids),
  });

  let runs: ReturnType<typeof createRunsModule> | undefined;
  const webhooks = createWebhooksModule(ctx, log, {
    runOf: (orgId, id) => runs!.service.presented(orgId, id),
  });
  let workspace: ReturnType<typeof createWorkspaceModule> | undefined;
  const usage = createUsageModule(ctx, log, {
    agents: agentService,
    names: {
      agents: (orgId, ids) => agentService.namesOf(orgId, ids),
      people: (orgId, kind, ids) => identity.directory.namesOf(orgId, kind, ids),
    },
    scopeExists: async (orgId, scope, id) =>
      scope === 'agent'
        ? (await agentService.findMany(orgId, [id])).length > 0
        : (await identity.directory.namesOf(orgId, scope === 'user' ? 'user' : 'api_key', [id])).size > 0,
    alerts: {
      webhook: (orgId, type, data) => webhooks.notify(orgId, type, data),
      notice: (notice) => workspace!.inbox.openNotice(notice),
    },
    clock: options.clock,
  });
  runs = createRunsModule(ctx, log, {
    findAgent: (orgId, id) => agentService.getForOrg(orgId, id).catch(() => undefined),
    conversationExists: (orgId, id) => conversations.exists(orgId, id),
    openApproval: (work, run, approval) => workspace!.inbox.openApproval(work, run, approval),
    finished: (run) => webhooks.runFinished(run),
    recordUsage: (work, inline) =>
      usage.service.recordManyModelCalls(
        inline.map((run) => ({
          orgId: run.orgId,
          ctx: { agentId: run.agentId, runId: run.id, createdBy: run.createdBy },
          calls: run.calls,
          at: run.createdAt,
        })),
        work,
      ),
    recordRunUsage: (work, segments) =>
      usage.service.recordManyModelCalls(
        segments.map(({ run, calls }) => ({
          orgId: run.orgId,
          ctx: {
            agentId: run.agentId,
            runId: run.id,
            conversationId: run.conversationId ?? undefined,
            createdBy: run.createdBy,
          },
          calls,
        })),
        work,
      ),
  });
  const runsService = runs.service;
  const tasks = createTasksModule({
    db,
    bus,
    agentsOf: async (orgId, ids) => new Set((await agentService.findMany(orgId, ids)).map((a) => a.id)),
    membersOf: async (orgId, ids) => new Set((await identity.directory.namesOf(orgId, 'member', ids)).keys()),
    runs: {
      submit: (p, input, opts) => runsService.submit(p, input, opts),
      statusOf: async (orgId, id) => (await runsService.presented(orgId, id))?.status,
      cancel: (p, id) => runsService.cancel(p, id),
    },
    conversations: {
      create: (p, input) => conversations.create(p, input),
      agentOf: (orgId, id) => conversations.agentOf(orgId, id),
    },
    observeRuns: (observer) => runs.observe(observer),
    clock: options.clock,
  });
  workspace = createWorkspaceModule({
    db,
    bus,
    resumeRun: (work, orgId, runId, decision) => runs.service.resume(work, orgId, runId, decision),
    feed: {
      audit: audit.service,
      runs: runs.service.feed,
      names: {
        agents: (orgId, ids) => agentService.namesOf(orgId, ids),
        people: (orgId, kind, ids) => identity.directory.namesOf(orgId, kind, ids),
        tasks: (orgId, ids) => tasks.service.titlesOf(orgId, ids),
      },
    },
  });
  const gettingStarted = createGettingStarted({
    hasRuns: (orgId) => runsService.hasAnyRun(orgId),
    hasProvider: (orgId) => providers.service.hasModelProvider(orgId),
    countMembers: (orgId) => identity.directory.countMembers(orgId),
    countApiKeys: (orgId) => identity.directory.countApiKeys(orgId),
    dismissed: (orgId, userId) => identity.directory.gettingStartedDismissed(orgId, userId),
    setDismissed: (orgId, userId, dismissed) =>
      identity.directory.setGettingStartedDismissed(orgId, userId, dismissed),
  });
  const execution = createExecution(ctx, log, {
    agents: agentService,
    tools: tools.registry,
    providers,
    conversations,
    records: runs.records,
    gateFor: (run) => usage.gate.gateFor({ orgId: run.orgId, createdBy: run.createdBy }),
  });
  runs.runHere({
    holdFor: () => execution.holdFor(),
    start: (run, job, jobId) => execution.startHere(run, job, jobId),
    reserve: (runId) => execution.reserve(runId),
    wake: () => execution.wake(),
  });
  const operatorOrg = operatorOrgOf(identity.directory, {
    operatorOrgId: config.operatorOrgId,
    adminEmail: config.admin?.email,
  });
  let fixes: FixesModule | undefined;
  const errors = createErrorsModule(ctx, log, {
    membersOf: async (orgId, ids) => new Set((await identity.directory.namesOf(orgId, 'member', ids)).keys()),
    operatorOrg,
    clock: options.clock,
    eventsArrived: async (arrivals) => {
      await fixes!.service.eventsArrived(arrivals);
    },
    projectRemoved: (work, orgId, projectId) => fixes!.service.removeOfProject(work, orgId, projectId),
  });
  const errorsService = errors.service;
  fixes = createFixesModule(ctx, log, {
    issues: {
      async forFix(orgId, issueId) {
        const found = await errorsService.issueWithLatestEvent(orgId, issueId);
        const project = found && (await errorsService.projectOf(orgId, found.issue.projectId));
        return found && project ? { ...found, project } : undefined;
      },
      verifyCommandOf: async (orgId, projectId) =>
        (await errorsService.projectOf(orgId, projectId))?.verifyCommand,
      releaseSeenBefore: (orgId, issueId, release, at) =>
        errorsService.releaseSeenBefore(orgId, issueId, release, at),
      regress: (orgId, issueId, because) => errorsService.regressIssue(orgId, issueId, because),
    },
    inbox: {
      openNotice: (notice, work) => workspace.inbox.openNotice(notice, work),
      close: (work, orgId, itemId) => workspace.inbox.closeIn(work, orgId, itemId),
    },
    agents: {
      exists: async (orgId, id) => (await agentService.findMany(orgId, [id])).length > 0,
      findBySlug: (orgId, slug) => agentService.findBySlug(orgId, slug),
      create: (p, input, meta) => agentService.create(p, input, meta),
    },
    runs: { submit: (p, input, opts) => runsService.submit(p, input, opts) },
    tools: tools.registry,
    observeRuns: (observer) => runs.observe(observer),
  });
  const fixesModule = fixes;
  billing = createBillingModule(ctx, log, {
    setPlanBudget: (orgId, limitUsd, setBy) => usage.budgets.setPlanBudget(orgId, limitUsd, setBy),
    operatorOrg,
    usage: async (orgId) => {
      const [seats, agentRoster, month] = await Promise.all([
        identity.directory.countMembers(orgId),
        agentService.roster(orgId),
        usage.service.monthTotalsOf(orgId),
      ]);
      return { seats, agents: agentRoster.length, monthSpentUsd: month.costUsd };
    },
    notice: (notice, work) => workspace!.inbox.openNotice(notice, work),
    webhook: (orgId, type, data) => webhooks.notify(orgId, type, data),
    orgName: async (orgId) => (await identity.directory.orgNames([orgId])).get(orgId),
  });
  const billingModule = billing;

  return {
    mailer,
    identity,
    audit,
    tools,
    providers,
    agents: agentService,
    usage,
    conversations,
    files,
    runs,
    tasks,
    webhooks,
    workspace,
    gettingStarted,
    execution,
    billing: billingModule,
    errors,
    fixes: fixesModule,
    /**
     * Starts executing runs, delivering webhooks, grouping error events and applying approved fixes in
     * this process.
     */
    async startWorkers(): Promise<void> {
      usage.start();
      await execution.start();
      await webhooks.start();
      await billingModule.start();
      errors.start();
      await fixesModule.start();
    },
    /** Stops the loops first (running turns finish or go back to the queue), then closes tool connections. */
    async close(): Promise<void> {
      await execution.stop();
      await errors.stop();
      await runs.stop();
      await usage.stop();
      await tools.close();
      files.close();
      await identity.links.flush();
      mailer.close();
    },
  };
}

/** Every domain of the API server: the core, and chat, realtime and the control room on top. */
export function createDomains(ctx: AppContext, log: FastifyBaseLogger, options: DomainOptions = {}) {
  const core = createCoreDomains(ctx, log, options);
  const { agents, conversations, runs, workspace, execution, identity } = core;

  const chat = createChatModule({ ctx, agents, conversations, runs: runs.service, execution, log });
  const realtime = createRealtime(ctx, identity.authenticate, log);
  registerRunsRealtime(realtime, runs.service);
  registerConversationChannel(realtime.channels, ctx.database.db);
  core.files.registerRealtime(realtime.channels);
  registerBillingChannel(realtime.channels);
  core.tasks.registerRealtime(realtime);
  core.errors.registerRealtime(realtime.channels);
  workspace.registerStats(realtime.stats);
  handleIntents(realtime.channels, chat.intents);
  // A revocation anywhere (removed member, changed role, new password, revoked key) closes the
  // sockets it names on this replica; the clients refresh, or find their session over.
  const stopRevocations = identity.sessions.onRevoked((r) => {
    realtime.disconnect(
      r.userIds,
      r.orgId,
      'your access was revoked or changed: refresh your token or sign in again',
    );
    realtime.disconnect(r.principalIds, r.orgId, 'the API key was revoked or has expired');
  });

  const admin = createAdminModule(ctx, realtime, log, {
    directory: identity.directory,
    agents,
    runs: {
      metrics: (window) => executionMetrics(ctx.database, ctx.queue, window),
      agentStats: (window) => agentRunStats(ctx.database, window),
    },
  });
  admin.service.figures.register('unfinishedRuns', () => unfinishedRunCount(ctx.database));

  return {
    ...core,
    chat,
    realtime,
    admin,
    /** Starts what runs in the background: signing keys, audit retention, and (unless separate) workers. */
    async start(): Promise<void> {
      await identity.start();
      if (!core.mailer.configured && ctx.config.env === 'production') {
        log.warn(
          'mail is off: SMTP_URL is not set, so password resets, verification links and invitations are not sent',
        );
      }
      core.audit.start();
      if (ctx.config.workersInProcess) await core.startWorkers();
    },
    /** Stops everything, the loops before storage goes (the context closes storage after). */
    async close(): Promise<void> {
      stopRevocations();
      admin.stop();
      await core.close();
      identity.stop();
      await core.audit.stop();
    },
  };
}

export type CoreDomains = ReturnType<typeof createCoreDomains>;
export type Domains = ReturnType<typeof createDomains>;
