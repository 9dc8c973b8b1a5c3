// A console flow written against the generated types: sign in, read the account, edit
// it, add a sub-user with an access key and a project, read and clear the messages, and
// look at cancellation. `tsc --noEmit` checks it; a schema or document change that breaks
// what a page reads breaks this file.
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  AccountInformationDocument,
  CancellationPageDocument,
  CreateAccessKeyDocument,
  CreateProjectDocument,
  CreateSubUserDocument,
  MarkMessagesReadDocument,
  MessagesDocument,
  ProjectsDocument,
  SignInDocument,
  SubUsersDocument,
  UpdateAccountInfoDocument,
  type UserErrorCode,
} from './gql/graphql';

type GraphQLResponse<T> = {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
};

/** POSTs one typed operation; the session is the bearer token or, in a browser, the cookie. */
export async function request<TData, TVariables>(
  endpoint: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  token?: string,
): Promise<TData> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/graphql-response+json',
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(endpoint, {
    method: 'POST',
    headers,
    credentials: 'include',
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as GraphQLResponse<TData>;
  if (body.errors?.length || !body.data) {
    throw new Error(body.errors?.map((e) => e.message).join('; ') ?? 'no data');
  }
  return body.data;
}

/** A payload's first user error, as a form shows it. */
function refused(errors: readonly { code: UserErrorCode; message: string }[]): string | null {
  const first = errors[0];
  return first ? `${first.code}: ${first.message}` : null;
}

export async function consoleFlow(endpoint: string, email: string, password: string) {
  const signedIn = await request(endpoint, SignInDocument, {
    input: { site: 'INTERNATIONAL', email, password },
  });
  const problem = refused(signedIn.signIn.userErrors);
  if (problem) throw new Error(problem);
  if (signedIn.signIn.challenge) {
    // A second factor is asked for: the page shows the challenge's methods.
    const methods: string[] = signedIn.signIn.challenge.methods;
    return { challenge: methods };
  }
  const token: string | undefined = signedIn.signIn.session?.token;

  const info = await request(endpoint, AccountInformationDocument, {}, token);
  const account = info.viewer?.account;
  const title: string = account?.nickname ?? account?.accountId ?? 'signed out';
  const status: 'NORMAL' | string | undefined = account?.status;

  const updated = await request(
    endpoint,
    UpdateAccountInfoDocument,
    { input: { nickname: 'Console' } },
    token,
  );
  const nickname: string | null | undefined = updated.updateAccountInfo.account?.nickname;

  const created = await request(
    endpoint,
    CreateSubUserDocument,
    { input: { name: 'deploy-bot', consoleLogin: false } },
    token,
  );
  const subUserId = created.createSubUser.subUser?.id;
  if (subUserId) {
    const key = await request(endpoint, CreateAccessKeyDocument, { input: { subUserId } }, token);
    const secret: string | null | undefined = key.createAccessKey.secretKey;
    void secret;
  }
  const subUsers = await request(endpoint, SubUsersDocument, { first: 20 }, token);
  const names: string[] =
    subUsers.viewer?.account.subUsers.edges.map(({ node }) => node.name) ?? [];
  const keyCount: number =
    subUsers.viewer?.account.subUsers.edges.reduce((n, { node }) => n + node.accessKeys.length, 0) ??
    0;

  await request(endpoint, CreateProjectDocument, { input: { name: 'website' } }, token);
  const projects = await request(endpoint, ProjectsDocument, {}, token);
  const projectNames: string[] =
    projects.viewer?.account.projects.edges.map(({ node }) => `${node.name} (${node.status})`) ??
    [];

  const messages = await request(endpoint, MessagesDocument, { unreadOnly: true }, token);
  const unread: number = messages.viewer?.unreadMessageCount ?? 0;
  const ids: string[] = messages.viewer?.messages.edges.map(({ node }) => node.id) ?? [];
  const marked = await request(
    endpoint,
    MarkMessagesReadDocument,
    { input: { messageIds: ids } },
    token,
  );
  const stillUnread: number | null | undefined = marked.markMessagesRead.unreadMessageCount;

  const cancellation = await request(endpoint, CancellationPageDocument, {}, token);
  const blockers: string[] =
    cancellation.viewer?.account.cancellationReadiness.blockers.map((b) => b.code) ?? [];

  return {
    title,
    status,
    nickname,
    names,
    keyCount,
    projectNames,
    unread,
    stillUnread,
    blockers,
  };
}
