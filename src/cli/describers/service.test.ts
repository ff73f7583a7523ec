import { describe, expect, it } from 'vitest';
import { describeObject } from './index.ts';

const now = new Date('2024-01-01T00:10:00Z');

const svc = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default', uid: 's1' },
  spec: {
    type: 'NodePort',
    selector: { app: 'web' },
    ipFamilyPolicy: 'SingleStack',
    ipFamilies: ['IPv4'],
    clusterIP: '10.96.12.34',
    clusterIPs: ['10.96.12.34'],
    ports: [
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', nodePort: 30080 },
      { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP', nodePort: 30090 },
    ],
    sessionAffinity: 'None',
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
  },
};

const endpoint = (ip: string, ready = true) => ({ addresses: [ip], conditions: { ready } });
const slice = {
  metadata: { name: 'web-abcde' },
  addressType: 'IPv4',
  ports: [
    { name: 'http', port: 8080, protocol: 'TCP' },
    { name: 'metrics', port: 9090, protocol: 'TCP' },
  ],
  endpoints: [endpoint('10.244.0.5'), endpoint('10.244.0.6'), endpoint('10.244.0.9', false), endpoint('10.244.0.7'), endpoint('10.244.0.8')],
};

describe('describe service', () => {
  it('prints kubectl\'s fields with endpoints from the EndpointSlices (ready only, 3 then more)', () => {
    const out = describeObject(svc, [], now, { endpointSlices: [slice] });
    expect(out).toBe(
      [
        'Name:                     web',
        'Namespace:                default',
        'Labels:                   <none>',
        'Annotations:              <none>',
        'Selector:                 app=web',
        'Type:                     NodePort',
        'IP Family Policy:         SingleStack',
        'IP Families:              IPv4',
        'IP:                       10.96.12.34',
        'IPs:                      10.96.12.34',
        'Port:                     http  80/TCP',
        'TargetPort:               http/TCP',
        'NodePort:                 http  30080/TCP',
        'Endpoints:                10.244.0.5:8080,10.244.0.6:8080,10.244.0.7:8080 + 1 more...',
        'Port:                     metrics  9090/TCP',
        'TargetPort:               9090/TCP',
        'NodePort:                 metrics  30090/TCP',
        'Endpoints:                10.244.0.5:9090,10.244.0.6:9090,10.244.0.7:9090 + 1 more...',
        'Session Affinity:         None',
        'External Traffic Policy:  Cluster',
        'Internal Traffic Policy:  Cluster',
        'Events:                   <none>',
        '',
      ].join('\n'),
    );
  });

  it('says <none> without slices, and names an ExternalName', () => {
    const ext = describeObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'example.com', sessionAffinity: 'None' } }, [], now);
    expect(ext).toContain('External Name:     example.com\n');
    expect(ext).toContain('Endpoints:         <none>\n');
    expect(ext).toContain('IPs:               <none>\n');
  });
});
