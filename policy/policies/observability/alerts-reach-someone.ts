import { describeItem } from "@app-rollout/shared";
import { stackPolicy } from "../../lib/define";
import { ofType, referenced, refersTo, str, T } from "../../lib/props";

const SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription";

/**
 * An alarm action is only as good as its topic's subscribers: a topic with none delivers every alarm to
 * nobody (SNS accepts the publish). Topics are found by URN (the alarm's `alarmActions` depend on them), so
 * the check runs at preview too; subscriptions by their `topic` (URN, else the known ARN).
 */
export const observabilityAlertsReachSomeone = stackPolicy({
  name: "observability-alerts-reach-someone",
  description: "Every topic an alarm notifies has at least one subscriber (an alarm that reaches nobody is no alarm).",
  area: "observability",
  readiness: ["alerting"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Set app:alarms.notificationEmails and/or app:alarms.notificationHttpsEndpoints (the paging tool), e.g. pulumi config set --path 'app:alarms.notificationHttpsEndpoints[0]' https://events.pagerduty.com/…",
  validateStack: (args, report) => {
    const subscriptions = ofType(args.resources, SUBSCRIPTION);
    const alarms = [...ofType(args.resources, T.metricAlarm), ...ofType(args.resources, T.compositeAlarm)];
    const topics = new Map(
      alarms.flatMap((a) => referenced(a, "alarmActions", args.resources, T.topic)).map((t) => [t.urn, t]),
    );
    for (const topic of topics.values()) {
      const name = str(() => topic.props.name);
      const subscribed = subscriptions.some((s) => refersTo(s, "topic", topic, [() => topic.props.arn]));
      if (!subscribed)
        report(
          `topic ${typeof name === "string" ? name : topic.name} receives the alarms but has no subscription: every alarm would reach nobody. Readiness: ${describeItem("alerting")}.`,
          topic.urn,
        );
    }
  },
});
