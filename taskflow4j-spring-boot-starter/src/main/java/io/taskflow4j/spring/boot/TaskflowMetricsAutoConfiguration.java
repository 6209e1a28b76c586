package io.taskflow4j.spring.boot;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.taskflow4j.conductor.ConductorListener;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.micrometer.JobboardMetrics;
import io.taskflow4j.micrometer.MeteredBackend;
import io.taskflow4j.micrometer.TaskflowMetrics;
import io.taskflow4j.micrometer.TaskflowObservations;
import io.taskflow4j.persistence.Backend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.NoSuchBeanDefinitionException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.core.ResolvableType;

/**
 * Meters (and, with an {@link ObservationRegistry}, traces) of taskflow4j, when
 * taskflow4j-micrometer is on the class path and the application has a {@link MeterRegistry}
 * (Actuator makes one): every {@link Backend} bean's store writes are timed ({@link
 * MeteredBackend}), the {@link Jobboard} bean's events are counted ({@link JobboardMetrics}), and
 * the conductor counts its jobs and attaches the engine meters and observations to every flow it
 * runs (a {@link ConductorListener} bean, which {@link TaskflowConductorAutoConfiguration} takes
 * up). Off with {@code taskflow4j.metrics.enabled=false}.
 */
@AutoConfiguration(
    after = TaskflowAutoConfiguration.class,
    afterName = {
      // Where the MeterRegistry and ObservationRegistry beans come from: Boot 3, then Boot 4.
      "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.actuate.autoconfigure.observation.ObservationAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration"
    })
@ConditionalOnClass({TaskflowMetrics.class, MeterRegistry.class})
@ConditionalOnBean(MeterRegistry.class)
@ConditionalOnProperty(prefix = "taskflow4j", name = "enabled", matchIfMissing = true)
@ConditionalOnProperty(
    prefix = "taskflow4j.metrics",
    name = "enabled",
    havingValue = "true",
    matchIfMissing = true)
public class TaskflowMetricsAutoConfiguration {

  /**
   * Wraps every {@link Backend} bean declared as {@code Backend} in a {@link MeteredBackend}: the
   * starter's own and the application's alike, so a store defined in code is timed too.
   */
  @Bean
  static BeanPostProcessor taskflowMeteredBackends(ObjectProvider<MeterRegistry> registry) {
    return new MeteredBackends(registry);
  }

  /** The flow, atom and conductor meters; {@code listen(engine)} meters an engine of one's own. */
  @Bean
  @ConditionalOnMissingBean
  public TaskflowMetrics taskflowMetrics(MeterRegistry registry, TaskflowProperties properties) {
    return TaskflowMetrics.builder()
        .atomHistograms(properties.getMetrics().isAtomHistograms())
        .bind(registry);
  }

  /**
   * Counts the conductor's claims and settlements and meters (and, when the application has an
   * {@link ObservationRegistry}, observes) the engine of every job it runs.
   */
  @Bean
  public ConductorListener taskflowConductorMetrics(
      TaskflowMetrics metrics, ObjectProvider<ObservationRegistry> observations) {
    ObservationRegistry o = observations.getIfUnique();
    return o == null
        ? metrics.conductorListener()
        : metrics.conductorListener(new TaskflowObservations(o));
  }

  /** The jobboard's meters, bound here and unsubscribed from the board with the context. */
  @Bean(destroyMethod = "close")
  @ConditionalOnBean(Jobboard.class)
  BoundJobboardMetrics taskflowJobboardMetrics(Jobboard board, MeterRegistry registry) {
    JobboardMetrics m = new JobboardMetrics(board);
    m.bindTo(registry);
    return new BoundJobboardMetrics(m);
  }

  /**
   * A {@link JobboardMetrics} already bound. Not a {@code MeterBinder} bean itself: Actuator binds
   * every such bean to its registry, and a jobboard's metrics bind once (binding twice would count
   * every event twice).
   */
  static final class BoundJobboardMetrics implements AutoCloseable {
    private final JobboardMetrics metrics;

    BoundJobboardMetrics(JobboardMetrics metrics) {
      this.metrics = metrics;
    }

    JobboardMetrics metrics() {
      return metrics;
    }

    @Override
    public void close() {
      metrics.close();
    }
  }

  /**
   * Wraps {@link Backend} beans as they are made. Only beans whose declared type is {@code Backend}
   * itself: a bean declared as its implementation (a {@code JdbcBackend}, say) may be injected as
   * that class elsewhere, which a wrapper would break; such a bean is left alone (the application
   * can declare it as {@code Backend}, or wrap it itself). A backend metered already is not wrapped
   * again.
   */
  static final class MeteredBackends implements BeanPostProcessor, BeanFactoryAware {
    private static final Logger LOG = LoggerFactory.getLogger(MeteredBackends.class);

    private final ObjectProvider<MeterRegistry> registry;
    private ConfigurableListableBeanFactory beanFactory;

    MeteredBackends(ObjectProvider<MeterRegistry> registry) {
      this.registry = registry;
    }

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
      if (beanFactory instanceof ConfigurableListableBeanFactory c) {
        this.beanFactory = c;
      }
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName)
        throws BeansException {
      if (!(bean instanceof Backend backend) || bean instanceof MeteredBackend) {
        return bean;
      }
      if (!declaredAsBackend(beanName)) {
        LOG.info(
            "Backend bean '{}' is declared as {}, not as Backend: its store writes are not timed"
                + " (declare it as Backend, or return MeteredBackend.wrap(backend, registry))",
            beanName,
            bean.getClass().getName());
        return bean;
      }
      return MeteredBackend.wrap(backend, registry.getObject());
    }

    private boolean declaredAsBackend(String beanName) {
      if (beanFactory == null || !beanFactory.containsBeanDefinition(beanName)) {
        return false;
      }
      try {
        ResolvableType type = beanFactory.getMergedBeanDefinition(beanName).getResolvableType();
        return type.resolve() == Backend.class;
      } catch (NoSuchBeanDefinitionException e) {
        return false;
      }
    }
  }
}
