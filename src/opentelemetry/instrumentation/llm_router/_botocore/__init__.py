"""boto3 / botocore calls to Amazon Bedrock Runtime (see :mod:`._hook`)."""
