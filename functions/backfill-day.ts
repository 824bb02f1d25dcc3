// Placeholder until the Lambda handler lands; infra bundles this entry point.
export const handler = async (): Promise<{ status: string }> => ({ status: 'not-implemented' });
