import { describe, expect, it } from 'vitest';
import { required } from './field.ts';
import { findResource } from './kinds.ts';
import { ApiError } from './status.ts';

const pods = findResource('', 'v1', 'pods')!;
const deployments = findResource('apps', 'v1', 'deployments')!;

describe('ApiError', () => {
  it.each([
    [ApiError.notFound(pods, 'x'), 404, 'NotFound', 'pods "x" not found'],
    [ApiError.notFound(deployments, 'web'), 404, 'NotFound', 'deployments.apps "web" not found'],
    [ApiError.alreadyExists(pods, 'x'), 409, 'AlreadyExists', 'pods "x" already exists'],
    [
      ApiError.conflict(pods, 'x'),
      409,
      'Conflict',
      'Operation cannot be fulfilled on pods "x": the object has been modified; please apply your changes to the latest version and try again',
    ],
    [ApiError.badRequest('nope'), 400, 'BadRequest', 'nope'],
    [ApiError.expired('too old resource version: 1 (5)'), 410, 'Expired', 'too old resource version: 1 (5)'],
    [ApiError.unauthorized(), 401, 'Unauthorized', 'Unauthorized'],
    [ApiError.forbidden(pods, 'x', 'User "bob" cannot get resource "pods"'), 403, 'Forbidden', 'pods "x" is forbidden: User "bob" cannot get resource "pods"'],
    [ApiError.methodNotAllowed(pods, 'create'), 405, 'MethodNotAllowed', 'create is not supported on resources of kind "pods"'],
    [ApiError.notAcceptable(['application/json']), 406, 'NotAcceptable', 'only the following media types are accepted: application/json'],
    [ApiError.unsupportedMediaType(['application/json']), 415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json'],
    [ApiError.tooManyRequests('slow down', 1), 429, 'TooManyRequests', 'slow down'],
    [ApiError.internal(new Error('boom')), 500, 'InternalError', 'Internal error occurred: boom'],
    [ApiError.serviceUnavailable('etcd down'), 503, 'ServiceUnavailable', 'etcd down'],
  ])('%#: %s', (err, code, reason, message) => {
    expect(err).toBeInstanceOf(Error);
    expect(err.toStatus()).toMatchObject({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason, message });
  });

  it('builds 422 Invalid with causes, one error bare and several bracketed', () => {
    const one = ApiError.invalid(pods, 'x', [required('spec.containers[0].image')]);
    expect(one.toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Pod "x" is invalid: spec.containers[0].image: Required value',
      reason: 'Invalid',
      details: { name: 'x', kind: 'Pod', causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].image' }] },
      code: 422,
    });
    const two = ApiError.invalid(deployments, 'web', [required('spec.selector'), required('spec.template')]);
    expect(two.message).toBe('Deployment.apps "web" is invalid: [spec.selector: Required value, spec.template: Required value]');
    expect(two.status.details?.group).toBe('apps');
  });

  it('names the resource in NotFound details', () => {
    expect(ApiError.notFound(deployments, 'web').status.details).toEqual({ name: 'web', group: 'apps', kind: 'deployments' });
  });
});
