/**
 * Permissions are scopes. A role is a set of them; an access token and an API key carry them;
 * every route names the one it needs.
 */
export const PERMISSIONS = {
  'agents:read': 'See agents, their versions and health',
  'agents:write': 'Create, change and delete agents',
  'tools:read': 'See the tool registry',
  'tools:write': 'Register tools and MCP servers, and change tool settings',
  'model_providers:write': "Set the organisation's model provider keys and endpoints",
  'chat:write': 'Chat with agents',
  'conversations:read': 'Read conversations and their messages',
  'conversations:write': 'Rename and delete conversations',
  'runs:read': 'See runs and their events',
  'runs:write': 'Start and cancel runs',
  'inbox:read': 'Read the inbox',
  'inbox:write': 'Mark read, close, approve and reject inbox items',
  'tasks:read': 'See tasks and the activity feed',
  'tasks:write': 'Create, change and delete tasks',
  'files:read': 'Read workspace files',
  'files:write': 'Write workspace files and their permissions',
  'usage:read': 'See usage, timelines and budgets',
  'budgets:write': 'Change usage budgets',
  'billing:read': 'See plans, the subscription and billing events',
  'billing:manage': 'Change the subscription',
  'errors:read': 'See error projects, issues and fixes',
  'errors:write': 'Manage error projects and issues, request and decide fixes',
  'members:read': 'See the members of the organisation',
  'members:write': 'Add, change and remove members',
  'roles:read': 'See roles and their permissions',
  'roles:write': 'Create, change and delete custom roles',
  'api_keys:read': 'See API keys (never their secrets)',
  'api_keys:write': 'Create and revoke API keys',
  'audit:read': 'Read the audit log',
  admin: 'Use the admin control room and restart the server',
} as const;

export type Permission = keyof typeof PERMISSIONS;

export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSIONS, value);
}

const READ_ALL = ALL_PERMISSIONS.filter(
  (p) => p.endsWith(':read') && p !== 'audit:read' && p !== 'api_keys:read',
);

/** The built-in roles every org gets. Their permissions are fixed; custom roles fill the gaps. */
export const BUILTIN_ROLES: ReadonlyArray<{
  key: string;
  name: string;
  description: string;
  permissions: Permission[];
}> = [
  { key: 'owner', name: 'owner', description: 'Everything, including billing', permissions: ALL_PERMISSIONS },
  {
    key: 'admin',
    name: 'admin',
    description: 'Everything except changing the subscription',
    permissions: ALL_PERMISSIONS.filter((p) => p !== 'billing:manage'),
  },
  {
    key: 'member',
    name: 'member',
    description: 'Works with agents, chat, runs and the workspace',
    permissions: [
      ...READ_ALL,
      'agents:write',
      'chat:write',
      'conversations:write',
      'runs:write',
      'inbox:write',
      'tasks:write',
      'files:write',
      'errors:write',
    ],
  },
  { key: 'viewer', name: 'viewer', description: 'Reads, never changes', permissions: READ_ALL },
];
