import { Command } from 'commander';
import type { Act } from '../main';

export function registerBreakGlass(program: Command, act: Act): void {
  program
    .command('break-glass')
    .summary('mint a break-glass admin kubeconfig for one person, with a reason')
    .description(
      'Mint a break-glass kubeconfig for one person when OIDC is down: CN=break-glass:<person>, groups system:masters and ' +
        'bulwark:break-glass, signed offline by the cluster CA, valid --lifetime (never longer than the profile allows). ' +
        'Written to <out>/<stack>/break-glass-<person>.kubeconfig (mode 0600); every request made with it carries the ' +
        "person and reason into the audit log. The CA comes from <out>/<stack>/secrets.yaml, --secrets, or the stack's " +
        'state on stdin (pulumi stack export --show-secrets | bulwark break-glass --state - ...).' +
        '\n\nExit codes: 0 issued, 2 invalid input, 1 anything else.',
    )
    .option('-s, --stack <name>', 'the stack whose cluster CA signs it')
    .option('--person <name>', 'who the credential is for (a DNS label: it names the certificate and the file)')
    .option('--reason <text>', 'why: recorded in the certificate and every audit event')
    .option('--lifetime <duration>', "how long it is valid, e.g. 30m (default the stack's cluster.breakGlassCertLifetime)")
    .option('--out <dir>', 'where the kubeconfig is written: <dir>/<stack>/', 'out')
    .option('--secrets <file>', 'the secrets bundle holding the Kubernetes CA')
    .option('--state <->', 'read the secrets bundle from the Pulumi state on stdin ("-")')
    .action(act('break-glass', async (o, g) => (await import('../break-glass')).breakGlassCommand(o, g.io, g)));
}
