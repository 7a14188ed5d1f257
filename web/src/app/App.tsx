import { lazy } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { useSession } from '../auth/SessionContext.tsx';
import { ErrorMessage, Loading } from '../components/states.tsx';
import {
  AcceptInvitationPage,
  ForgotPasswordPage,
  ResetPasswordPage,
  VerifyEmailPage,
} from '../pages/AccountLinkPages.tsx';
import { RegisterPage, SignInPage } from '../pages/AuthPages.tsx';
import { DashboardPage } from '../pages/DashboardPage.tsx';
import { NotFoundPage } from '../pages/NotFoundPage.tsx';
import { StatusPage } from '../StatusPage.tsx';
import { Shell } from './Shell.tsx';

/*
 * Every page but the dashboard (where signing in lands) and the signed-out ones loads when first opened,
 * each in a chunk of its own, so the first visit does not pay for the Markdown renderer, the charts or
 * the pages it never opens. The shell shows "Opening the page…" meanwhile.
 */
const AgentEditPage = lazy(() =>
  import('../pages/AgentEditPage.tsx').then((m) => ({ default: m.AgentEditPage })),
);
const AgentsPage = lazy(() => import('../pages/AgentsPage.tsx').then((m) => ({ default: m.AgentsPage })));
const ApiKeysPage = lazy(() => import('../pages/ApiKeysPage.tsx').then((m) => ({ default: m.ApiKeysPage })));
const AuditPage = lazy(() => import('../pages/AuditPage.tsx').then((m) => ({ default: m.AuditPage })));
const ChatPage = lazy(() => import('../pages/ChatPage.tsx').then((m) => ({ default: m.ChatPage })));
const ControlRoomPage = lazy(() =>
  import('../pages/ControlRoomPage.tsx').then((m) => ({ default: m.ControlRoomPage })),
);
const ErrorProjectsPage = lazy(() =>
  import('../pages/ErrorProjectsPage.tsx').then((m) => ({ default: m.ErrorProjectsPage })),
);
const ErrorsPage = lazy(() => import('../pages/ErrorsPage.tsx').then((m) => ({ default: m.ErrorsPage })));
const FixPage = lazy(() => import('../pages/FixPage.tsx').then((m) => ({ default: m.FixPage })));
const IssuePage = lazy(() => import('../pages/IssuePage.tsx').then((m) => ({ default: m.IssuePage })));
const FilesPage = lazy(() => import('../pages/FilesPage.tsx').then((m) => ({ default: m.FilesPage })));
const InboxPage = lazy(() => import('../pages/InboxPage.tsx').then((m) => ({ default: m.InboxPage })));
const MembersPage = lazy(() => import('../pages/MembersPage.tsx').then((m) => ({ default: m.MembersPage })));
const RolesPage = lazy(() => import('../pages/RolesPage.tsx').then((m) => ({ default: m.RolesPage })));
const RunDetailPage = lazy(() =>
  import('../pages/RunDetailPage.tsx').then((m) => ({ default: m.RunDetailPage })),
);
const RunsPage = lazy(() => import('../pages/RunsPage.tsx').then((m) => ({ default: m.RunsPage })));
const BillingPage = lazy(() => import('../pages/BillingPage.tsx').then((m) => ({ default: m.BillingPage })));
const TasksPage = lazy(() => import('../pages/TasksPage.tsx').then((m) => ({ default: m.TasksPage })));
const UsagePage = lazy(() => import('../pages/UsagePage.tsx').then((m) => ({ default: m.UsagePage })));

/** Signed-out visitors go to sign-in and come back where they were headed. */
function RequireSession({ children }: { children: React.ReactNode }) {
  const { status, me, meError } = useSession();
  const location = useLocation();
  if (status === 'restoring') return <Loading label="Restoring your session…" />;
  if (status === 'signed_out')
    return <Navigate to="/signin" replace state={{ from: location.pathname + location.search }} />;
  if (status === 'offline' && !me)
    return (
      <ErrorMessage
        error={new Error('The server cannot be reached and this browser has no saved data to show yet.')}
      />
    );
  if (!me && meError) return <ErrorMessage error={meError} />;
  if (!me) return <Loading label="Opening your workspace…" />;
  return <>{children}</>;
}

/** A page the role may not use says so kindly instead of failing on its first request. */
function Allowed({ needs, children }: { needs: string; children: React.ReactNode }) {
  const { can } = useSession();
  if (can(needs)) return <>{children}</>;
  return (
    <div className="problem problem-soft" role="alert">
      <span>
        Your role does not include <code>{needs}</code>, which this page needs. Ask an owner or admin of your
        organisation for access.
      </span>
    </div>
  );
}

export function App() {
  return (
    <Routes>
      <Route path="/signin" element={<SignInPage />} />
      <Route path="/register" element={<RegisterPage />} />
      <Route path="/status" element={<StatusPage />} />
      <Route path="/forgot-password" element={<ForgotPasswordPage />} />
      <Route path="/reset-password" element={<ResetPasswordPage />} />
      <Route path="/verify-email" element={<VerifyEmailPage />} />
      <Route path="/accept-invitation" element={<AcceptInvitationPage />} />
      <Route
        element={
          <RequireSession>
            <Shell />
          </RequireSession>
        }
      >
        <Route index element={<DashboardPage />} />
        <Route
          path="chat/:conversationId?"
          element={
            <Allowed needs="chat:write">
              <ChatPage />
            </Allowed>
          }
        />
        <Route
          path="agents"
          element={
            <Allowed needs="agents:read">
              <AgentsPage />
            </Allowed>
          }
        />
        <Route
          path="agents/new"
          element={
            <Allowed needs="agents:write">
              <AgentEditPage />
            </Allowed>
          }
        />
        <Route
          path="agents/:id"
          element={
            <Allowed needs="agents:read">
              <AgentEditPage />
            </Allowed>
          }
        />
        <Route
          path="runs"
          element={
            <Allowed needs="runs:read">
              <RunsPage />
            </Allowed>
          }
        />
        <Route
          path="runs/:id"
          element={
            <Allowed needs="runs:read">
              <RunDetailPage />
            </Allowed>
          }
        />
        <Route
          path="tasks"
          element={
            <Allowed needs="tasks:read">
              <TasksPage />
            </Allowed>
          }
        />
        <Route
          path="errors"
          element={
            <Allowed needs="errors:read">
              <ErrorsPage />
            </Allowed>
          }
        />
        <Route
          path="errors/issues/:id"
          element={
            <Allowed needs="errors:read">
              <IssuePage />
            </Allowed>
          }
        />
        <Route
          path="errors/fixes/:id"
          element={
            <Allowed needs="errors:read">
              <FixPage />
            </Allowed>
          }
        />
        <Route
          path="errors/projects"
          element={
            <Allowed needs="errors:read">
              <ErrorProjectsPage />
            </Allowed>
          }
        />
        <Route
          path="usage"
          element={
            <Allowed needs="usage:read">
              <UsagePage />
            </Allowed>
          }
        />
        <Route
          path="billing"
          element={
            <Allowed needs="billing:manage">
              <BillingPage />
            </Allowed>
          }
        />
        <Route
          path="files"
          element={
            <Allowed needs="files:read">
              <FilesPage />
            </Allowed>
          }
        />
        <Route
          path="inbox"
          element={
            <Allowed needs="inbox:read">
              <InboxPage />
            </Allowed>
          }
        />
        <Route
          path="settings/members"
          element={
            <Allowed needs="members:read">
              <MembersPage />
            </Allowed>
          }
        />
        <Route
          path="settings/roles"
          element={
            <Allowed needs="roles:read">
              <RolesPage />
            </Allowed>
          }
        />
        <Route
          path="settings/api-keys"
          element={
            <Allowed needs="api_keys:read">
              <ApiKeysPage />
            </Allowed>
          }
        />
        <Route
          path="settings/audit"
          element={
            <Allowed needs="audit:read">
              <AuditPage />
            </Allowed>
          }
        />
        <Route
          path="admin"
          element={
            <Allowed needs="admin">
              <ControlRoomPage />
            </Allowed>
          }
        />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
